#!/usr/bin/env bash
# The real Bicep CLI, wherever it comes from: `bicep` on PATH, else `az bicep` (when the Azure CLI
# has it installed), else the native `bicep` from the NuGet package Azure.Bicep.CommandLine.linux-x64
# restored with the .NET SDK into a cache folder outside the repository (nothing is committed for
# it: the restore project is generated in the cache folder). Arguments go to bicep unchanged:
#   bash dev/bicep.sh build infra/main.bicep --outfile /tmp/main.json
#   bash dev/bicep.sh --version
#   bash dev/bicep.sh --restore-only      # restore (if needed) and print the executable's path
# BICEP_VERSION pins the NuGet version (default below); BICEP_CACHE_DIR moves the cache.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
CACHE_DIR="${BICEP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/acr-geo-rollout/bicep}"
PACKAGE="Azure.Bicep.CommandLine.linux-x64"

restore_only=false
if [ "${1:-}" = "--restore-only" ]; then
  restore_only=true
  shift
fi

run() {
  if $restore_only; then
    echo "$1"
    exit 0
  fi
  local exe="$1"
  shift
  exec "$exe" "$@"
}

# 1. A bicep already on PATH (the Azure CLI's `az bicep install` puts one in ~/.azure/bin, not on PATH).
if [ -z "${BICEP_FORCE_NUGET:-}" ] && command -v bicep >/dev/null 2>&1; then
  run "$(command -v bicep)" "$@"
fi
# 2. The Azure CLI's own copy, when installed (`az bicep version` fails fast if it is not).
if [ -z "${BICEP_FORCE_NUGET:-}" ] && command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
  if $restore_only; then
    echo "az bicep"
    exit 0
  fi
  exec az bicep "$@"
fi

# 3. The NuGet package, restored once into the cache folder.
exe="$CACHE_DIR/packages/$(echo "$PACKAGE" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION/tools/bicep"
if [ ! -x "$exe" ]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "dev/bicep.sh: no Bicep CLI found: install one (https://aka.ms/bicep-install or 'az bicep install'), or install the .NET SDK (8.0 or later) so this script can restore the NuGet package $PACKAGE $BICEP_VERSION" >&2
    exit 127
  fi
  mkdir -p "$CACHE_DIR"
  # A throwaway project whose only purpose is to make `dotnet restore` fetch the package; it is
  # never built. The target framework is the installed SDK's own, so any SDK version works.
  tfm="net$(dotnet --version | cut -d. -f1,2)"
  cat >"$CACHE_DIR/restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$tfm</TargetFramework>
    <RestorePackagesPath>$CACHE_DIR/packages</RestorePackagesPath>
    <NoWarn>NU1701</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="$PACKAGE" Version="$BICEP_VERSION" />
  </ItemGroup>
</Project>
EOF
  echo "dev/bicep.sh: restoring $PACKAGE $BICEP_VERSION into $CACHE_DIR" >&2
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet restore "$CACHE_DIR/restore.csproj" >&2
  chmod +x "$exe"
fi
run "$exe" "$@"
