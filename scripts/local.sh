#!/usr/bin/env bash
# `npm run local`: the `local` stack through the real Pulumi engine, offline, policy pack enforced.
#
#   npm run local                          render manifests to rendered/local/ (no cluster)
#   npm run local -- --kubeconfig PATH     deploy the same stack to that cluster instead
#   npm run local -- --preview             preview only (nothing written)
#   npm run local -- --destroy             destroy the local stack (removes rendered files)
#
# What it sets up (all git-ignored, all local):
#   engine   .engine/ (scripts/engine.sh builds it once from Go modules; later runs reuse it)
#   backend  file://.pulumi-state (PULUMI_BACKEND_URL; no Pulumi Cloud account, no login)
#   secrets  passphrase provider with the FIXED, PUBLIC, LOCAL-ONLY passphrase below. It only
#            keeps the local stack's state file readable by this script; it protects nothing.
#            Never use it for a stack that holds real secrets.
#   program  Pulumi.yaml at the repo root, stack config Pulumi.local.yaml, policy pack policies/
#
# Tests may move the state and the output: LOCAL_STATE_DIR, LOCAL_RENDER_DIR (absolute paths).
#
# The program learns the target from the environment:
#   PLATFORM_RENDER_DIR   absolute path of rendered/local (render mode, the default)
#   PLATFORM_KUBECONFIG   set (to the given path) only with --kubeconfig: deploy instead of render
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LOCAL_PASSPHRASE="local-only-passphrase-not-a-secret"
STACK="local"
RENDER_DIR="${LOCAL_RENDER_DIR:-$ROOT/rendered/local}"
STATE_DIR="${LOCAL_STATE_DIR:-$ROOT/.pulumi-state}"
mode="up"
kubeconfig=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig="${2:?--kubeconfig needs a path}"; shift 2 ;;
    --kubeconfig=*) kubeconfig="${1#--kubeconfig=}"; shift ;;
    --preview) mode="preview"; shift ;;
    --destroy) mode="destroy"; shift ;;
    *) echo "local: unknown argument $1 (see scripts/local.sh)" >&2; exit 2 ;;
  esac
done

for f in Pulumi.yaml policies/PulumiPolicy.yaml; do
  if [ ! -f "$f" ]; then
    echo "local: $f is missing: the program or the policy pack is not in this checkout" >&2
    exit 1
  fi
done

bash "$ROOT/scripts/engine.sh" >/dev/null
# shellcheck disable=SC1091
source "$ROOT/.engine/env.sh"

mkdir -p "$STATE_DIR"
export PULUMI_BACKEND_URL="file://$STATE_DIR"
export PULUMI_CONFIG_PASSPHRASE="$LOCAL_PASSPHRASE"
unset PULUMI_CONFIG_PASSPHRASE_FILE
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
# Types are checked by `npm run typecheck`; the engine run only transpiles (ts-node).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
export PLATFORM_RENDER_DIR="$RENDER_DIR"
if [ -n "$kubeconfig" ]; then
  [ -f "$kubeconfig" ] || { echo "local: kubeconfig $kubeconfig does not exist" >&2; exit 1; }
  PLATFORM_KUBECONFIG="$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")"
  export PLATFORM_KUBECONFIG
  export KUBECONFIG="$PLATFORM_KUBECONFIG"
else
  unset PLATFORM_KUBECONFIG
fi

pulumi stack select --create "$STACK" --secrets-provider passphrase --non-interactive

common=(--stack "$STACK" --policy-pack "$ROOT/policies" --skip-plugin-pre-install --non-interactive)
case "$mode" in
  preview)
    pulumi preview "${common[@]}"
    exit 0
    ;;
  destroy)
    pulumi destroy --stack "$STACK" --yes --skip-plugin-pre-install --non-interactive
    rm -rf "$RENDER_DIR"
    exit 0
    ;;
esac

# Rendered files and state must agree: if the files are gone but the stack still has
# resources, an update would see no change and write nothing, so start the stack afresh.
if [ -z "$kubeconfig" ] && [ ! -d "$RENDER_DIR" ]; then
  count="$(pulumi stack export --stack "$STACK" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log((JSON.parse(s).deployment.resources||[]).length)}catch{console.log(0)}})')"
  if [ "${count:-0}" -gt 0 ]; then
    echo "local: $RENDER_DIR is missing but the stack has $count resources; destroying it first"
    pulumi destroy --stack "$STACK" --yes --skip-plugin-pre-install --non-interactive
  fi
fi

pulumi up "${common[@]}" --yes

echo
echo "== local stack: outputs"
pulumi stack output --stack "$STACK" || true
if [ -n "$kubeconfig" ]; then
  echo "== deployed to the cluster in $PLATFORM_KUBECONFIG"
else
  echo "== manifests rendered to ${RENDER_DIR#"$ROOT"/}/ ($(find "$RENDER_DIR" -type f 2>/dev/null | wc -l) files)"
  node "$ROOT/tools/engine/validate-manifests.mjs" "$RENDER_DIR"
fi
