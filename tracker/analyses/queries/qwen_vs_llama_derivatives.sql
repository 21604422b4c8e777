-- Share of new derivative models each month built on Qwen (root namespace `qwen`) versus Llama (root
-- namespaces `meta-llama` and `facebook`), in percent: the measure the ATOM Project publishes.
SELECT month,
       SUM(derivatives) AS derivatives,
       ROUND(100.0 * SUM(CASE WHEN root_author = 'qwen' THEN derivatives ELSE 0 END) / SUM(derivatives), 2)
           AS qwen_pct,
       ROUND(100.0 * SUM(CASE WHEN root_author IN ('meta-llama', 'facebook') THEN derivatives ELSE 0 END)
           / SUM(derivatives), 2) AS llama_pct
FROM monthly_derivatives_by_root_publisher
GROUP BY month
ORDER BY month
