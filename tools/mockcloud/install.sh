#!/usr/bin/env bash
# tools/mockcloud/install.sh <bindir> [pkg...]
#
# Writes MOCK resource-provider plugins `<bindir>/pulumi-resource-<pkg>` (default packages:
# aws cloudflare docker random command) that answer from tools/mockcloud/answers.ts, plus a
# precompiled bundle of tools/mockcloud/provider.ts in <bindir>/.mockcloud/. Put <bindir> first
# on PATH for a conformance run only: the engine takes a plugin on PATH whatever its version,
# so any `pulumi` that sees this directory deploys nothing to the real clouds.
#
# Refuses the repo's real engine bin dir (.engine/bin). Sourcing this file defines
# `install_mockcloud BINDIR [pkg...]` without running it (or changing the caller's shell options).

MOCKCLOUD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MOCKCLOUD_DEFAULT_PACKAGES=(aws cloudflare docker random command)

install_mockcloud() (
  # A subshell: strict mode applies to this function only.
  set -euo pipefail
  local bindir="${1:?usage: install.sh <bindir> [pkg...]}"
  shift
  local pkgs=("$@")
  [ ${#pkgs[@]} -gt 0 ] || pkgs=("${MOCKCLOUD_DEFAULT_PACKAGES[@]}")
  local root="$MOCKCLOUD_ROOT"
  local pkg
  for pkg in "${pkgs[@]}"; do
    case "$pkg" in
      *[!a-z0-9-]* | "") echo "mockcloud: bad package name '$pkg'" >&2; return 1 ;;
      kubernetes) echo "mockcloud: refusing to mock kubernetes (the real provider is built by npm run engine)" >&2; return 1 ;;
    esac
  done
  if [ "$(realpath -m "$bindir")" = "$(realpath -m "$root/.engine/bin")" ]; then
    echo "mockcloud: refusing to install mock plugins into the real engine's bin dir ($bindir); use a separate directory" >&2
    return 1
  fi
  mkdir -p "$bindir"
  bindir="$(cd "$bindir" && pwd -P)"
  local node
  node="$(command -v node)" || { echo "mockcloud: node is required" >&2; return 1; }
  [ -x "$root/node_modules/.bin/esbuild" ] || { echo "mockcloud: run npm ci first (node_modules/.bin/esbuild missing)" >&2; return 1; }

  # One bundle of provider.ts + answers.ts; @pulumi/* and grpc stay in the repo's node_modules.
  mkdir -p "$bindir/.mockcloud"
  "$root/node_modules/.bin/esbuild" "$root/tools/mockcloud/provider.ts" --bundle --platform=node \
    --format=cjs --target=node20 --packages=external --log-level=warning \
    --outfile="$bindir/.mockcloud/provider.js.tmp"
  mv "$bindir/.mockcloud/provider.js.tmp" "$bindir/.mockcloud/provider.js"

  for pkg in "${pkgs[@]}"; do
    sed -e "s|@PKG@|$pkg|g" -e "s|@REPO@|$root|g" -e "s|@NODE@|$node|g" \
      -e "s|@BUNDLE@|$bindir/.mockcloud/provider.js|g" \
      "$root/tools/mockcloud/launcher.sh.in" >"$bindir/pulumi-resource-$pkg.tmp"
    chmod +x "$bindir/pulumi-resource-$pkg.tmp"
    mv "$bindir/pulumi-resource-$pkg.tmp" "$bindir/pulumi-resource-$pkg"
  done
  printf '%s\n' "$bindir"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  install_mockcloud "$@"
fi
