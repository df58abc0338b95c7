# Lipa in a container: `docker build -t lipa .`, then `docker run --env-file .env -p 8080:8080 lipa`
# (or `docker compose up`, with PostgreSQL). The image runs `lipa serve` as the user `lipa`.
# PYTHON_IMAGE: any image with Python 3.11 as `python` and pip (CI passes one made from
# Debian's packages where no registry can be reached: .ci/docker-smoke).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system lipa \
    && useradd --system --gid lipa --home-dir /var/lib/lipa --create-home --shell /usr/sbin/nologin lipa

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY checkout ./checkout
COPY daraja ./daraja
COPY lipa ./lipa
COPY lipa_testing ./lipa_testing
COPY sms ./sms
COPY storage ./storage
COPY web ./web
COPY webhook ./webhook
COPY whatsapp ./whatsapp
RUN pip install . && rm -rf /src

USER lipa
WORKDIR /var/lib/lipa
# In a container Lipa listens on every interface; publish the port to 127.0.0.1 behind a proxy.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/lipa/lipa.db
EXPOSE 8080
VOLUME ["/var/lib/lipa"]

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/healthz', timeout=4)"]

ENTRYPOINT ["lipa"]
CMD ["serve"]
