"""Analyses of the shift: signals by country, trends and the verdict (read-only over the database)."""
