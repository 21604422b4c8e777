-- Share of new Hugging Face models created each month by authors in China, the United States and of
-- unknown country (percent of all models created that month; unknown creation dates excluded).
SELECT month,
       SUM(models) AS models,
       ROUND(100.0 * SUM(CASE WHEN country = 'CN' THEN models ELSE 0 END) / SUM(models), 2) AS cn_pct,
       ROUND(100.0 * SUM(CASE WHEN country = 'US' THEN models ELSE 0 END) / SUM(models), 2) AS us_pct,
       ROUND(100.0 * SUM(CASE WHEN country IS NULL THEN models ELSE 0 END) / SUM(models), 2) AS unknown_pct
FROM monthly_new_models
GROUP BY month
ORDER BY month
