"""One package per data source; each turns API data into rows (API -> collector -> database)."""
