-- The 25 publishers (or unlinked namespaces) with the most 30-day model downloads, with their country,
-- model count and likes.
SELECT publisher, publisher_name, country, models, downloads_30d, likes
FROM publisher_models_latest
ORDER BY downloads_30d DESC, models DESC
LIMIT 25
