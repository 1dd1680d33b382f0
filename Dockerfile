# Image for workspace-sync: the same image runs under docker compose on a laptop and in Azure.
#
# Runtime base is pinned to the Node 22 flavour of Functions host 4. The bare `4` tag is not
# Node 20/22, so the language version would change under us; `4-node22` names both.
#
# That image exists for linux/amd64 only: azure-functions-docker builds it FROM
# mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim-amd64 and publishes the host for linux-x64
# (host/4/bookworm/node/node22/node22.Dockerfile). So every stage whose files end up in it is
# pinned to linux/amd64, and on an arm64 machine (Apple Silicon) Docker builds and runs those
# stages under emulation instead of producing arm64 native modules the runtime cannot load.

# --- build: install exactly what the lockfile says, compile TypeScript, nothing else -------------
# Runs natively ($BUILDPLATFORM): its only output, dist/, is JavaScript, the same on any machine.
FROM --platform=$BUILDPLATFORM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only ----------------------------------------------------------------
# Same Debian release and the same architecture as the runtime: these node_modules are shipped as
# they are, so a package that brings a native binary must get the linux-x64 one. Install scripts
# are off, so nothing is compiled here; npm still picks platform-specific optional packages by
# the architecture it runs on.
FROM --platform=linux/amd64 node:22-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------------------
FROM --platform=linux/amd64 mcr.microsoft.com/azure-functions/node:4-node22

# Sync clones repositories with the git CLI, which the base image does not have.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true

WORKDIR /home/site/wwwroot
COPY host.json package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

# Turns ENABLE_DEBUGGING=true into the Node worker's --inspect flag, and starts the host as the
# process that receives `docker stop`'s SIGTERM (see the script).
COPY docker/entrypoint.sh /usr/local/bin/functions-entrypoint.sh
RUN chmod 755 /usr/local/bin/functions-entrypoint.sh

# 80: the Functions host (ASPNETCORE_URLS in the base image). 9229: Node inspector when debugging.
EXPOSE 80 9229
ENTRYPOINT ["/usr/local/bin/functions-entrypoint.sh"]
# The base image's own start command; an ENTRYPOINT resets the inherited CMD, so name it again.
# The entrypoint recognises it and runs its steps itself, ending in `exec` of the host.
CMD ["/opt/startup/start_nonappservice.sh"]
