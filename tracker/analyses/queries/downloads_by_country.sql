-- 30-day downloads of Hugging Face models by author country from each model's newest snapshot, largest
-- first; the unknown country is the row with an empty country. pct: percent of the whole total;
-- attributed_pct: percent of the total with a known country (the headline), coverage_pct: that total's share.
SELECT country, downloads_30d, ROUND(100.0 * share, 2) AS pct, ROUND(100.0 * share_attributed, 2) AS attributed_pct,
       ROUND(100.0 * coverage, 2) AS coverage_pct
FROM country_downloads_latest
ORDER BY downloads_30d DESC
