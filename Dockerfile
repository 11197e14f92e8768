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
# Installed into site-packages with its bytecode compiled at build time, so the container runs
# with a read-only root filesystem; the source tree is not kept. protos/ goes beside the
# packages, where gateway_svc.rest.comments looks for the RPC comments of the OpenAPI document.
RUN pip install . \
 && site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && cp -r protos "$site/protos" \
 && python -m compileall -q "$site" \
 && cd / && rm -rf /src \
 && groupadd --system --gid 10001 agent-runtime \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/agent-runtime \
      --no-create-home --shell /usr/sbin/nologin agent-runtime \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/agent-runtime

WORKDIR /var/lib/agent-runtime
USER 10001:10001
EXPOSE 7101-7106 7201-7206 7301-7306 8443
# Overridden per Deployment; alone, the image shows the CLI's help.
CMD ["agent-runtime", "--help"]
