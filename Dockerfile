# tiering web service. Build: docker build -t tiering .
# Run:  docker run -p 8000:8000 -e TIERING_SECRET_KEY=... -e TIERING_DATABASE_URL=... tiering
# Worker: docker run ... tiering tiering worker
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.lock
COPY criteria criteria
COPY scoring scoring
COPY batch batch
COPY reports reports
COPY service service
COPY tiering tiering
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim-bookworm
# fonts and system libraries the PDF reports need (Chinese font, Pango/HarfBuzz for WeasyPrint)
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz0b libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 tiering
COPY --from=build /opt/venv /opt/venv
COPY data /app/data
WORKDIR /app
RUN mkdir -p /app/var && chown tiering /app/var
USER tiering
ENV PATH=/opt/venv/bin:$PATH \
    TIERING_ENVIRONMENT=production \
    TIERING_DATA_DIR=/app/var \
    TIERING_MODELS_DIR=/app/var/models \
    TIERING_DATABASE_URL=sqlite:////app/var/tiering.db
EXPOSE 8000
CMD ["tiering", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-demo"]
