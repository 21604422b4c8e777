-- Share of new derivative models each month built on Qwen (root namespace `qwen`) versus Llama (root
-- namespaces `meta-llama` and `facebook`), in percent: the measure the ATOM Project publishes; partial = 1
-- for a month the whole Hub was not collected for, or not over yet (hf_creation_months): not comparable.
SELECT d.month,
       SUM(d.derivatives) AS derivatives,
       ROUND(100.0 * SUM(CASE WHEN d.root_author = 'qwen' THEN d.derivatives ELSE 0 END) / SUM(d.derivatives), 2)
           AS qwen_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_author IN ('meta-llama', 'facebook') THEN d.derivatives ELSE 0 END)
           / SUM(d.derivatives), 2) AS llama_pct,
       CASE WHEN c.complete THEN 0 ELSE 1 END AS partial
FROM monthly_derivatives_by_root_publisher d
LEFT JOIN hf_creation_months c ON c.month = d.month
GROUP BY d.month, c.complete
ORDER BY d.month
