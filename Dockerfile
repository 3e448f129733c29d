# otelhouse image: one image, the command picks the part (serve | collector | dashboard | retention | migrate).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY otelhouse otelhouse
COPY collector collector
COPY dashboard dashboard
COPY retention retention
COPY storage storage
RUN pip install --no-cache-dir .
RUN useradd --system --home /app otelhouse && mkdir -p /app/data && chown otelhouse /app/data
USER otelhouse
EXPOSE 4317 4318 8080
ENTRYPOINT ["otelhouse"]
CMD ["serve"]
