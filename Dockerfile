# syntax=docker/dockerfile:1
# TaskFlow's production image: gunicorn serving config.wsgi, static files collected and
# compressed at build time (whitenoise), running as an unprivileged user. docs/deploy.md.
#
#   docker build -t taskflow .
#   docker compose up            # with PostgreSQL, Redis, a migrate step and a worker

# --- builder: every pinned dependency installed into a virtualenv ---------------------
# bookworm (Debian 12), not the moving 3.11-slim: its postgresql-client is 15, the server's
# major version (docker-compose, docs); trixie's pg_restore 17 fails against a 15 server.
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# A compiler, only in this stage, for any dependency that has no wheel for this platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install --require-virtualenv -r /tmp/requirements.txt

# --- runtime: the virtualenv and the code, nothing else --------------------------------
FROM python:3.11-slim-bookworm AS runtime

# DATA_FILES_ROOT holds import uploads and export files: a volume web and worker share, or
# set DATA_STORAGE_BACKEND to an object store where services have separate disks
# (docs/operations.md).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000 \
    DATA_FILES_ROOT=/data-files

# pg_dump/pg_restore for `manage.py backup` and `restore` (Debian 12: PostgreSQL 15 client).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 taskflow \
    && useradd --system --uid 10001 --gid taskflow --home-dir /app --shell /usr/sbin/nologin taskflow

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY . /app

# Hashed, compressed static files for whitenoise. Production settings refuse to load without
# their secrets, so this one command gets throwaway values: nothing connects to a database
# or to Redis here, and none of these values stays in the image's environment.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app \
    && mkdir -p /data-files && chown taskflow:taskflow /data-files
USER taskflow:taskflow
EXPOSE 8000

# Liveness: /health/ touches neither database nor cache. Django checks the Host header, so the
# probe sends the first of DJANGO_ALLOWED_HOSTS ("*" and ".example.com" forms included).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:%s/health/' % os.environ.get('PORT', '8000'), headers={'Host': h}), timeout=4)"]

CMD ["gunicorn", "config.wsgi:application", "--config", "gunicorn.conf.py"]
