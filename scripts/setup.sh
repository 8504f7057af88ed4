#!/usr/bin/env bash
# The one set-up command on a fresh Debian machine (README, .ci/run): the Debian tools the tests
# and `npm run local` run for real (scripts/prerequisites.tsv), the npm packages exactly as the
# lockfile pins them, and the engine binaries built from Go modules (scripts/engine.sh, with
# progress; the first build takes tens of minutes on 2 cores, later runs about a second).
# Idempotent: what is already there is not installed again.
#
#   bash scripts/setup.sh            everything
#   SETUP_SKIP_ENGINE=1 ...          no engine build (plans and unit tests only)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n== setup: %s\n' "$*"; }

step "Debian prerequisites (scripts/prerequisites.tsv)"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
missing=()
while IFS=$'\t' read -r cmd pkg _; do
  case "$cmd" in ''|'#'*) continue ;; esac
  command -v "$cmd" >/dev/null 2>&1 && continue
  if [ "$pkg" = "-" ]; then
    echo "setup: '$cmd' is missing and is not a Debian package here: install Go 1.26+ (https://go.dev/doc/install) and re-run" >&2
    exit 1
  fi
  missing+=("$pkg")
done <"$ROOT/scripts/prerequisites.tsv"
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo, or: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "all present"
fi
node -e 'const [M,m]=process.versions.node.split(".").map(Number); if(!((M===20&&m>=19)||M>=22)){console.error(`setup: Node ${process.versions.node}: 20.19+ or 22+ is required`);process.exit(1)}'

step "npm packages (npm ci, exactly the lockfile)"
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ -f node_modules/.setup-stamp ] && [ "$(cat node_modules/.setup-stamp)" = "$lock_hash" ]; then
  echo "node_modules matches package-lock.json"
else
  npm ci --no-audit --no-fund
  printf '%s' "$lock_hash" >node_modules/.setup-stamp
fi

step "browser suite's fixture apps (npm ci in test/browser/apps/*, each from its own lockfile)"
for lock in test/browser/apps/*/package-lock.json; do
  app="$(dirname "$lock")"
  app_hash="$(sha256sum "$lock" | cut -c1-16)"
  if [ -f "$app/node_modules/.setup-stamp" ] && [ "$(cat "$app/node_modules/.setup-stamp")" = "$app_hash" ]; then
    echo "$app: node_modules matches its lockfile"
  else
    echo "$app: npm ci"
    (cd "$app" && npm ci --no-audit --no-fund >/dev/null)
    printf '%s' "$app_hash" >"$app/node_modules/.setup-stamp"
  fi
done

if [ "${SETUP_SKIP_ENGINE:-}" != "1" ]; then
  step "engine binaries (scripts/engine.sh; cached in .engine/)"
  bash scripts/engine.sh >/dev/null
fi
step "ready"
