-- Stars of tracked GitHub repositories by owner country from each repository's newest snapshot, largest
-- first; the unknown country is the row with an empty country. pct: percent of the whole total;
-- attributed_pct: percent of the total with a known country (the headline), coverage_pct: that total's share.
SELECT country, stars, ROUND(100.0 * share, 2) AS pct, ROUND(100.0 * share_attributed, 2) AS attributed_pct,
       ROUND(100.0 * coverage, 2) AS coverage_pct
FROM country_stars_latest
ORDER BY stars DESC
