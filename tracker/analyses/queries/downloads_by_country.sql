-- 30-day downloads of Hugging Face models by author country from each model's newest snapshot, largest
-- first; the unknown country is the row with an empty country.
SELECT country, downloads_30d, ROUND(100.0 * share, 2) AS pct
FROM country_downloads_latest
ORDER BY downloads_30d DESC
