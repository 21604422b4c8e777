-- How much is attributed: models and 30-day downloads with a known author country, and tracked repositories
-- and stars with a known owner country (percent of each total).
SELECT 'hf models' AS what, COUNT(*) AS total,
       ROUND(100.0 * SUM(CASE WHEN country IS NOT NULL THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 2) AS known_pct
FROM hf_model_latest
UNION ALL
SELECT 'hf 30-day downloads', SUM(downloads_30d),
       ROUND(100.0 * SUM(CASE WHEN country IS NOT NULL THEN downloads_30d ELSE 0 END)
           / NULLIF(SUM(downloads_30d), 0), 2)
FROM hf_model_latest
UNION ALL
SELECT 'github repos', COUNT(*),
       ROUND(100.0 * SUM(CASE WHEN country IS NOT NULL THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 2)
FROM gh_repo_latest
UNION ALL
SELECT 'github stars', SUM(stars),
       ROUND(100.0 * SUM(CASE WHEN country IS NOT NULL THEN stars ELSE 0 END) / NULLIF(SUM(stars), 0), 2)
FROM gh_repo_latest
