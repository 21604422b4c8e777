"""The read-only web view (`tracker serve`): pages over the database for readers and analysts.

It sits at the top beside the CLI: it may read analyses, reports and the database; nothing imports it but the CLI.
"""

from tracker.web.app import create_app
from tracker.web.server import serve

__all__ = ["create_app", "serve"]
