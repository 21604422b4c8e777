-- Share of new Hugging Face models created each month by authors in China, the United States and of
-- unknown country (percent of all models created that month; unknown creation dates excluded); the
-- headline shares of the models with a known author country (cn_attributed_pct, us_attributed_pct) with
-- their coverage (coverage_pct: percent of the month's models with a known country); partial = 1 for a month
-- the whole Hub was not collected for, or not over yet (hf_creation_months): not comparable.
SELECT n.month,
       SUM(n.models) AS models,
       ROUND(100.0 * SUM(CASE WHEN n.country = 'CN' THEN n.models ELSE 0 END) / SUM(n.models), 2) AS cn_pct,
       ROUND(100.0 * SUM(CASE WHEN n.country = 'US' THEN n.models ELSE 0 END) / SUM(n.models), 2) AS us_pct,
       ROUND(100.0 * SUM(CASE WHEN n.country IS NULL THEN n.models ELSE 0 END) / SUM(n.models), 2) AS unknown_pct,
       ROUND(100.0 * SUM(CASE WHEN n.country = 'CN' THEN n.models ELSE 0 END)
           / NULLIF(SUM(CASE WHEN n.country IS NOT NULL THEN n.models ELSE 0 END), 0), 2) AS cn_attributed_pct,
       ROUND(100.0 * SUM(CASE WHEN n.country = 'US' THEN n.models ELSE 0 END)
           / NULLIF(SUM(CASE WHEN n.country IS NOT NULL THEN n.models ELSE 0 END), 0), 2) AS us_attributed_pct,
       ROUND(100.0 * SUM(CASE WHEN n.country IS NOT NULL THEN n.models ELSE 0 END) / SUM(n.models), 2)
           AS coverage_pct,
       CASE WHEN c.complete THEN 0 ELSE 1 END AS partial
FROM monthly_new_models n
LEFT JOIN hf_creation_months c ON c.month = n.month
GROUP BY n.month, c.complete
ORDER BY n.month
