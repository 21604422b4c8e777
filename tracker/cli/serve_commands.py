"""`tracker serve`: the read-only web view over the database."""

from __future__ import annotations

import click

from tracker.cli.app import AppContext, pass_app
from tracker.cli.app import cli as root
from tracker.web import serve as serve_web
from tracker.web.server import is_local


@root.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0: every interface)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve the read-only web view: overview, signals, publishers, models, search, SQL and reports.

    Binds 127.0.0.1 by default; put it behind a reverse proxy with authentication before exposing it
    (docs/deployment.md). Ctrl-C stops it.
    """
    app.database.check()
    if not is_local(host):
        click.echo(
            f"warning: serving on {host}:{port} makes the tracker's data and SQL page reachable from other "
            "machines; put it behind a proxy with authentication (docs/deployment.md)",
            err=True,
        )
    click.echo(f"serving {app.database.display_url} read-only at http://{host}:{port}/ (Ctrl-C stops)")
    serve_web(app.database, app.settings, host=host, port=port)
    click.echo("stopped")
