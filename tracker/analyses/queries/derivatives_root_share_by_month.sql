-- Share of new derivative models (fine-tunes, adapters, quantisations, merges) each month whose root base
-- model comes from China, the United States or an unknown country (percent): who builds on whose models;
-- the headline shares of the derivatives whose root country is known (cn_attributed_pct, us_attributed_pct)
-- with their coverage (coverage_pct); partial = 1 for a month the whole Hub was not collected for, or not
-- over yet (hf_creation_months): not comparable.
SELECT d.month,
       SUM(d.derivatives) AS derivatives,
       ROUND(100.0 * SUM(CASE WHEN d.root_country = 'CN' THEN d.derivatives ELSE 0 END) / SUM(d.derivatives), 2) AS cn_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_country = 'US' THEN d.derivatives ELSE 0 END) / SUM(d.derivatives), 2) AS us_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_country IS NULL THEN d.derivatives ELSE 0 END) / SUM(d.derivatives), 2)
           AS unknown_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_country = 'CN' THEN d.derivatives ELSE 0 END)
           / NULLIF(SUM(CASE WHEN d.root_country IS NOT NULL THEN d.derivatives ELSE 0 END), 0), 2)
           AS cn_attributed_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_country = 'US' THEN d.derivatives ELSE 0 END)
           / NULLIF(SUM(CASE WHEN d.root_country IS NOT NULL THEN d.derivatives ELSE 0 END), 0), 2)
           AS us_attributed_pct,
       ROUND(100.0 * SUM(CASE WHEN d.root_country IS NOT NULL THEN d.derivatives ELSE 0 END) / SUM(d.derivatives), 2)
           AS coverage_pct,
       CASE WHEN c.complete THEN 0 ELSE 1 END AS partial
FROM monthly_derivatives_by_root d
LEFT JOIN hf_creation_months c ON c.month = d.month
GROUP BY d.month, c.complete
ORDER BY d.month
