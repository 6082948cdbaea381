# The same install steps as scripts/dev (which .ci/run runs), so the tests cover them.
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/safemig NLU_CACHE_DIR=/opt/safemig/nlu-cache \
    CONTENT_DIR=/opt/safemig/content LOCALES_DIR=/opt/safemig/locales

WORKDIR /opt/safemig
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
COPY nlu ./nlu
COPY content ./content
COPY locales ./locales
COPY scripts ./scripts

RUN python -m pip install --upgrade pip \
 && python -m pip install . \
 && python scripts/i18n.py compile \
 && safemig nlu train --cache-dir "$NLU_CACHE_DIR" \
 && useradd --system --home-dir /var/lib/safemig --create-home safemig

USER safemig
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["safemig", "serve", "--host", "0.0.0.0", "--port", "8000"]
