# Image for workspace-sync: the same image runs under docker compose on a laptop and in Azure.
#
# Runtime base is pinned to the Node 22 flavour of Functions host 4. The bare `4` tag is not
# Node 20/22, so the language version would change under us; `4-node22` names both.

# --- build: install exactly what the lockfile says, compile TypeScript, nothing else -------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only (same Debian release as the runtime, so any binary matches) -----
FROM node:22-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------------------
FROM mcr.microsoft.com/azure-functions/node:4-node22

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

# Turns ENABLE_DEBUGGING=true into the Node worker's --inspect flag; otherwise a no-op.
COPY docker/entrypoint.sh /usr/local/bin/functions-entrypoint.sh
RUN chmod 755 /usr/local/bin/functions-entrypoint.sh

# 80: the Functions host (ASPNETCORE_URLS in the base image). 9229: Node inspector when debugging.
EXPOSE 80 9229
ENTRYPOINT ["/usr/local/bin/functions-entrypoint.sh"]
# The base image's own start command; an ENTRYPOINT resets the inherited CMD, so name it again.
CMD ["/opt/startup/start_nonappservice.sh"]
