-- Stars of tracked GitHub repositories by owner country from each repository's newest snapshot, largest
-- first; the unknown country is the row with an empty country.
SELECT country, stars, ROUND(100.0 * share, 2) AS pct
FROM country_stars_latest
ORDER BY stars DESC
