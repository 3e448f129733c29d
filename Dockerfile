# otelhouse image: one image, the command picks the part (serve | collector | dashboard | retention | migrate).
# Build: docker build -t otelhouse .   Secrets never enter a layer: they are mounted at run time and
# read through OTELHOUSE_*_FILE (docker-compose.yml, docs/operations.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# build stage: install otelhouse and its dependencies into a virtual environment
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/otelhouse
COPY pyproject.toml README.md ./
COPY otelhouse otelhouse
COPY collector collector
COPY dashboard dashboard
COPY retention retention
COPY storage storage
COPY demo demo
RUN /opt/otelhouse/bin/pip install --no-cache-dir .

# runtime stage: the virtual environment only, run by the unprivileged user otelhouse (uid 10001)
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/otelhouse/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OTELHOUSE_DATA_DIR=/app/data
# /app is the working directory and must stay writable: ClickHouse caches the Protobuf schemas it
# decodes OTLP with in ./__cache__/, and the data folder (store, write-ahead log, archives) is ./data
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin otelhouse \
    && mkdir -p /app/data \
    && chown -R otelhouse:otelhouse /app
COPY --from=build /opt/otelhouse /opt/otelhouse
WORKDIR /app
USER 10001:10001
EXPOSE 4317 4318 8080
# /healthz of the part this container runs (collector: 4318, dashboard: 8080); no curl in the image
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "otelhouse.healthcheck"]
ENTRYPOINT ["otelhouse"]
CMD ["serve"]
