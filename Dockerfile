# One image for all six services; each Kubernetes Deployment picks the process with its
# command (`python -m <name>_svc`, see k8s/base/). Runtime dependencies only: no dev extras.
#   docker build -t agent-runtime:0.2.0 .
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AGENT_RUNTIME_DATA_DIR=/var/lib/agent-runtime \
    AGENT_RUNTIME_PKI_DIR=/etc/agent-runtime/pki

WORKDIR /src
COPY . .
# Exactly the runtime packages uv.lock pins, hash-checked, then the project itself; installed
# into site-packages with its bytecode compiled at build time, so the container runs with a
# read-only root filesystem; the source tree is not kept. The OpenAPI prose ships in the
# generated package (agent_runtime/comments.json): protos/ and protoc are build-time only.
RUN pip install uv==0.13.9 \
 && uv export --locked --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
 && pip uninstall -y uv \
 && pip install --require-hashes -r /tmp/requirements.txt \
 && pip install --no-deps . \
 && site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && python -m compileall -q "$site" \
 && cd / && rm -rf /src /tmp/requirements.txt \
 && groupadd --system --gid 10001 agent-runtime \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/agent-runtime \
      --no-create-home --shell /usr/sbin/nologin agent-runtime \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/agent-runtime

WORKDIR /var/lib/agent-runtime
USER 10001:10001
EXPOSE 7101-7106 7201-7206 7301-7306 8443
# Overridden per Deployment; alone, the image shows the CLI's help.
CMD ["agent-runtime", "--help"]
