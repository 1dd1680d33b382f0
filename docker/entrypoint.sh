#!/usr/bin/env bash
# Container entrypoint: optionally opens the Node worker's inspector, then hands over to the
# Functions image's own start command (or to whatever command the container was given).
#
#   ENABLE_DEBUGGING=true  → languageWorkers__node__arguments gains --inspect=0.0.0.0:9229
#   DEBUG_WAIT=true        → --inspect-brk instead, so the worker waits for the debugger
#
# The host reads languageWorkers__node__arguments when it starts the Node worker. Anything else
# leaves the environment untouched, which is what runs in Azure.
set -euo pipefail

readonly INSPECT_ADDRESS='0.0.0.0:9229'

is_true() {
  [[ "${1,,}" == 'true' || "$1" == '1' ]]
}

if is_true "${ENABLE_DEBUGGING:-false}"; then
  flag='--inspect'
  if is_true "${DEBUG_WAIT:-false}"; then
    flag='--inspect-brk'
  fi
  # Keep any worker arguments already configured (memory limits and the like).
  existing="${languageWorkers__node__arguments:-}"
  export languageWorkers__node__arguments="${existing:+$existing }${flag}=${INSPECT_ADDRESS}"
  echo "functions-entrypoint: Node worker inspector on ${INSPECT_ADDRESS} (${flag})" >&2
fi

if [[ $# -eq 0 ]]; then
  set -- /opt/startup/start_nonappservice.sh
fi
exec "$@"
