"""`tracker export`: the documented views and the daily roll-ups as Parquet/CSV files with a data card."""

from tracker.export.files import EXPORTED, FORMATS, ExportError, ExportResult, export

__all__ = ["EXPORTED", "FORMATS", "ExportError", "ExportResult", "export"]
