#!/usr/bin/env bash
# `npm run infra:check`: compile infra/main.bicep with the real Bicep CLI to a temporary ARM JSON
# and lint every .bicep file under infra/; any error, warning or info diagnostic fails the check
# (bicep itself exits 0 on warnings). A suppression in the Bicep needs a one-line reason above it.
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
log="$out/diagnostics.txt"
status=0
bash dev/bicep.sh build infra/main.bicep --no-restore --outfile "$out/main.json" >"$log" 2>&1 || status=$?
bash dev/bicep.sh lint --no-restore --pattern 'infra/**/*.bicep' >>"$log" 2>&1 || status=$?
# Drop the restore notice dev/bicep.sh prints on a first run; keep every diagnostic.
diagnostics="$(grep -E '\) : (Error|Warning|Info) ' "$log" | sort -u || true)"
if [ "$status" -ne 0 ] || [ -n "$diagnostics" ]; then
  cat "$log" >&2
  echo "infra:check: FAILED (bicep exit $status, $(printf '%s' "$diagnostics" | grep -c . || true) diagnostics)" >&2
  exit 1
fi
bytes="$(wc -c <"$out/main.json")"
echo "infra:check: infra/main.bicep compiles ($bytes bytes of ARM JSON) and lints with no diagnostics ($(bash dev/bicep.sh --version))"
