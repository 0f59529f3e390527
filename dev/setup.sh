#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: npm dependencies, plus kubectl (the
# contract tests run the real binary) and Chromium (the dashboard's browser test) when missing, and
# the Bicep CLI (the infra tests compile infra/ with it): dev/bicep.sh restores it from NuGet with
# the .NET SDK into a cache folder outside the repository, unless a bicep is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The Bicep CLI: restored once (about 120 MB in ~/.cache/acr-geo-rollout/bicep), then reused.
if ! bicep_path="$(bash dev/bicep.sh --restore-only)"; then
  echo "setup: the Bicep CLI is required (npm run infra:check and test/infra compile infra/main.bicep) and could not be found or restored: install the .NET SDK (8.0 or later, https://dot.net) so dev/bicep.sh can restore it from NuGet, or put a bicep binary on PATH" >&2
  exit 1
fi
echo "setup: Bicep CLI: $bicep_path"
