# The tracker image: `tracker` as the entry point, the daemon by default.
#   docker build -t tracker .
#   docker run --rm -e TRACKER_DATABASE_URL=postgresql://... tracker db upgrade
#   docker run -d -e TRACKER_DATABASE_URL=postgresql://... -v tracker-reports:/data/reports tracker daemon
# docker-compose.yml runs it with PostgreSQL; see docs/deployment.md.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md alembic.ini ./
COPY tracker ./tracker
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    MPLBACKEND=Agg \
    TRACKER_REPORTS_DIR=/data/reports
RUN useradd --create-home --uid 10001 --user-group tracker \
    && mkdir -p /data/reports /config \
    && chown -R tracker:tracker /data
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels tracker && rm -rf /wheels
USER tracker
# The working directory holds an optional tracker.toml (read when present) and, without
# TRACKER_DATABASE_URL, the SQLite file tracker.db.
WORKDIR /data
VOLUME ["/data/reports"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=3 CMD ["tracker", "status", "--check"]
ENTRYPOINT ["tracker"]
CMD ["daemon"]
