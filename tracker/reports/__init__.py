"""Summary reports (Markdown, HTML with charts, JSON) built from the analyses."""

from tracker.reports.write import FORMATS, ReportError, ReportResult, write_report

__all__ = ["FORMATS", "ReportError", "ReportResult", "write_report"]
