#!/usr/bin/env bash
# Container entrypoint: optionally opens the Node worker's inspector, then starts the Functions
# host so that it, and not a shell, receives the container's stop signal.
#
#   ENABLE_DEBUGGING=true  → languageWorkers__node__arguments gains --inspect=0.0.0.0:9229, and
#                            the host restarts sequentially (see below)
#   DEBUG_WAIT=true        → --inspect-brk instead, so the worker waits for the debugger
#
# The host reads languageWorkers__node__arguments when it starts the Node worker. With debugging
# off the environment is left untouched, which is what runs in Azure. docs/docker.md has the
# sources for each claim made here.
set -euo pipefail

readonly INSPECT_ADDRESS='0.0.0.0:9229'

# The base image's CMD (azure-functions-docker, host/4/bookworm/node/node22/start_nonappservice.sh)
# is two steps, the CA certificate step and then the host, which it runs as a child of bash
# instead of exec'ing it. As PID 1 that bash has no SIGTERM handler, so the kernel drops the
# signal and `docker stop` kills after 10 s; under `init: true` the bash dies at once and takes
# the container with it. Either way the host never hears the signal and never tells the Node
# worker to finish. So, given that script while it still says only this, take the same two
# steps here and exec the host.
readonly BASE_START_SCRIPT='/opt/startup/start_nonappservice.sh'
readonly CA_CERTIFICATES_STEP='/opt/startup/install_ca_certificates.sh'
readonly HOST_EXECUTABLE='/azure-functions-host/Microsoft.Azure.WebJobs.Script.WebHost'

is_true() {
  [[ "${1,,}" == 'true' || "$1" == '1' ]]
}

# The script's commands, without the shebang, comments and blank lines.
script_commands() {
  grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"
}

if is_true "${ENABLE_DEBUGGING:-false}"; then
  flag='--inspect'
  if is_true "${DEBUG_WAIT:-false}"; then
    flag='--inspect-brk'
  fi
  # Keep any worker arguments already configured (memory limits and the like).
  existing="${languageWorkers__node__arguments:-}"
  export languageWorkers__node__arguments="${existing:+$existing }${flag}=${INSPECT_ADDRESS}"
  # A live reload restarts the host. By default the new host (and its worker) starts before the
  # old one stops, so the new worker finds 9229 taken and runs without a debugger
  # (WebJobsScriptHostService.RestartHostAsync). The host reads the configuration key
  # "AzureFunctionsJobHost:sequentialRestart" (ConfigurationSectionNames.SequentialJobHostRestart)
  # with bool.TryParse, so the value must be "true". Its environment provider looks the key up
  # with ":" turned into "__" and, on Linux, case-sensitively, hence this exact spelling.
  export AzureFunctionsJobHost__sequentialRestart='true'
  echo "functions-entrypoint: Node worker inspector on ${INSPECT_ADDRESS} (${flag})" >&2
fi

if [[ $# -eq 0 ]]; then
  set -- "$BASE_START_SCRIPT"
fi
if [[ $# -eq 1 && "$1" == "$BASE_START_SCRIPT" ]]; then
  expected="source ${CA_CERTIFICATES_STEP}"$'\n'"${HOST_EXECUTABLE}"
  if [[ -r "$BASE_START_SCRIPT" && "$(script_commands "$BASE_START_SCRIPT")" == "$expected" ]]; then
    # The base script sources this step; it only copies certificates, so a child bash does the
    # same without inheriting this script's `set -u` (the step reads unset variables).
    bash "$CA_CERTIFICATES_STEP" || echo "functions-entrypoint: ${CA_CERTIFICATES_STEP} failed; starting the host anyway, as the base image does" >&2
    set -- "$HOST_EXECUTABLE"
  elif [[ -e "$BASE_START_SCRIPT" ]]; then
    echo "functions-entrypoint: ${BASE_START_SCRIPT} has changed; running it as it is, so stop signals may not reach the host" >&2
  fi
fi
exec "$@"
