# kassa-server: the SOAP endpoints 1С:Мобильная касса synchronises with.
#   docker build -t kassa-server .
#   docker run -p 8080:8080 -v kassa-data:/data -e KASSA_PUBLIC_URL=https://kassa.example.com/{base} kassa-server
# The database is KASSA_DATABASE_URL (default: SQLite in the /data volume). KASSA_DEMO=1 seeds the demo shop on first
# start; without it the server starts empty (create the shop with `docker exec ... kassa-server infobase create ...`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1

WORKDIR /src
# constraints.txt pins every version (bash .ci/refresh-constraints), so a rebuild installs what CI tested
COPY constraints.txt pyproject.toml README.md ./
COPY kassa_server ./kassa_server
COPY migrations ./migrations
COPY xsd ./xsd
RUN pip install -c constraints.txt ".[postgres]" && rm -rf /src \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin kassa

USER kassa
WORKDIR /data
VOLUME /data
ENV KASSA_HOST=0.0.0.0 KASSA_PORT=8080 KASSA_DATABASE_URL=sqlite:////data/kassa.sqlite3 KASSA_DEMO=0
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('KASSA_PORT', '8080'), timeout=4)"]
CMD ["kassa-server", "serve"]
