"""Storage: engine and sessions (`engine`), the schema (`models`), views (`views`) and migrations (`migrate`)."""

from tracker.db.engine import Database, DatabaseError

__all__ = ["Database", "DatabaseError"]
