-- Share of new derivative models (fine-tunes, adapters, quantisations, merges) each month whose root base
-- model comes from China, the United States or an unknown country (percent): who builds on whose models.
SELECT month,
       SUM(derivatives) AS derivatives,
       ROUND(100.0 * SUM(CASE WHEN root_country = 'CN' THEN derivatives ELSE 0 END) / SUM(derivatives), 2) AS cn_pct,
       ROUND(100.0 * SUM(CASE WHEN root_country = 'US' THEN derivatives ELSE 0 END) / SUM(derivatives), 2) AS us_pct,
       ROUND(100.0 * SUM(CASE WHEN root_country IS NULL THEN derivatives ELSE 0 END) / SUM(derivatives), 2)
           AS unknown_pct
FROM monthly_derivatives_by_root
GROUP BY month
ORDER BY month
