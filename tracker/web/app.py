"""The read-only web application behind `tracker serve` (Flask, served by waitress; see server.py).

Pages are server-rendered (Jinja2 templates, autoescaped) and work without scripts; charts are inline SVG
made interactive by the package's own static/chart.js. Nothing is loaded from another host.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, render_template, request, send_file, url_for

from tracker.analyses.queries import QueryError, QueryResult, as_csv, as_json, named_queries, run_query
from tracker.config import Settings, scrub
from tracker.db.engine import Database
from tracker.reports import tables
from tracker.web import catalogue, charts, current, figures_view
from tracker.web.cache import DERIVATIVES_TTL_SECONDS, ExpiringCache


def create_app(database: Database, settings: Settings) -> Flask:
    """The application over `database`; every read goes through read-only sessions."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    figures_cache = current.FiguresCache(database, settings.today)
    derivatives = ExpiringCache(DERIVATIVES_TTL_SECONDS)

    def derivatives_of(keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return derivatives.get(keys, lambda: catalogue.derivatives_by_month(database, keys))

    def warm() -> None:
        """Load what the first visitors would otherwise wait for (server.py runs it at start)."""
        figures_cache.get()
        for keys in catalogue.registry_hf_keys(database):
            derivatives_of(keys)

    app.extensions["tracker_warm"] = warm
    timeout = float(settings.section("query").get("timeout", 60))
    max_rows = int(settings.section("web").get("max_rows", 5000))

    @app.before_request
    def _refuse_nul() -> None:
        # No database stores NUL in text (PostgreSQL refuses it outright): such a request names nothing.
        if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        # Everything is served from here: no other origin may supply scripts, styles or frames.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    app.jinja_env.filters["day"] = lambda value: "" if value is None else str(value)[:10]

    @app.context_processor
    def _common() -> dict[str, Any]:
        return {
            "fmt_pct": tables.fmt_pct,
            "fmt_number": tables.fmt_number,
            "signal_url": lambda key: url_for("signal", key=key),
            "publisher_url": lambda name: url_for("publisher", name=name),
        }

    @app.get("/")
    def overview() -> str:
        now = figures_cache.get()
        return render_template(
            "overview.html",
            now=now,
            view=figures_view.overview(now.figures),
            top_publishers=figures_view.top_publishers(now.figures),
        )

    @app.get("/signals/<key>")
    def signal(key: str) -> str:
        now = figures_cache.get()
        view = figures_view.signal(now.figures, key)
        if view is None:
            abort(404)
        series = view["series"]
        chart = charts.line_chart(
            f"chart-{key}",
            series.labels,
            series.complete,
            charts.percent,
            dashed=("CN+HK+MO", "unknown"),
            positions=series.positions,
            apart=series.partial,
            legend=figures_view.LEGEND,
            spans=series.windows,
        )
        return render_template("signal.html", now=now, view=view, chart=chart)

    @app.get("/publishers")
    def publishers() -> str:
        return render_template("publishers.html", publishers=catalogue.publishers_index(database))

    @app.get("/publishers/<path:name>")
    def publisher(name: str) -> str:
        page = catalogue.publisher_page(database, name)
        if page is None:
            abort(404)
        chart = None
        if page.downloads_over_time:
            days = sorted({day for points in page.downloads_over_time.values() for day, _ in points})
            by_model = {
                repo: [dict(points).get(day) for day in days]
                for repo, points in page.downloads_over_time.items()
            }
            chart = charts.line_chart("chart-downloads", days, by_model, charts.count)
        return render_template(
            "publisher.html", page=page, chart=chart, derivatives=derivatives_of(catalogue.hf_keys(page))
        )

    @app.get("/models/<path:repo_id>")
    def model(repo_id: str) -> str:
        page = catalogue.model_page(database, repo_id)
        if page is None:
            abort(404)
        return render_template("model.html", page=page)

    @app.get("/search")
    def search() -> str:
        query = request.args.get("q", "")[:300]
        return render_template("search.html", query=query, results=catalogue.search(database, query))

    @app.get("/sql")
    def sql() -> Response | str:
        name = request.args.get("name", "")
        statement = request.args.get("q", "")[:100_000]
        queries = named_queries()
        if name:
            chosen = next((query for query in queries if query.name == name), None)
            if chosen is None:
                abort(404)
            statement = chosen.sql
        answer: QueryResult | None = None
        error = None
        if statement.strip():
            try:
                answer = run_query(database, statement, timeout_seconds=timeout, max_rows=max_rows)
            except QueryError as failure:
                error = scrub(str(failure), settings.secrets)
        download = request.args.get("format", "")
        if answer is not None and download in ("csv", "json"):
            body = as_csv(answer) if download == "csv" else as_json(answer)
            response = Response(body, mimetype="text/csv" if download == "csv" else "application/json")
            filename = f"{name or 'query'}.{download}"
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        if error is not None and download in ("csv", "json"):
            return Response(error + "\n", status=400, mimetype="text/plain")
        return render_template(
            "sql.html",
            queries=queries,
            name=name,
            statement=statement,
            answer=answer,
            error=error,
            timeout=timeout,
            max_rows=max_rows,
        )

    @app.get("/reports")
    def reports() -> str:
        return render_template("reports.html", reports=current.list_reports(database))

    @app.get("/reports/<int:report_id>/<name>")
    def report_file(report_id: int, name: str) -> Response:
        path = current.report_file(database, report_id, name)
        if path is None:
            abort(404)
        return send_file(path, mimetype=current.REPORT_FILES[name], max_age=0)

    @app.get("/reports/<int:report_id>")
    def report(report_id: int) -> Response:
        for name in current.REPORT_FILES:
            if current.report_file(database, report_id, name) is not None:
                return app.redirect(url_for("report_file", report_id=report_id, name=name))
        abort(404)

    @app.errorhandler(400)
    def bad_request(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", message="Bad request."), 400

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", message="Not found."), 404

    return app
