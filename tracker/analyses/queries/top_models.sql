-- The 25 most downloaded models (30-day downloads, newest snapshot) with their author and root countries
-- and their first base model.
SELECT repo_id, country, root_country, downloads_30d, likes, base_model, base_relation, captured_on
FROM hf_model_latest
ORDER BY COALESCE(downloads_30d, 0) DESC, repo_id
LIMIT 25
