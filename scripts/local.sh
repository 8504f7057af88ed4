#!/usr/bin/env bash
# `npm run local`: the `local` stack through the real Pulumi engine, offline, policy pack enforced.
#
#   npm run local                          deploy to the embedded control plane (started if it is not
#                                          running; it stays up), wait until every workload is ready,
#                                          print what runs and how to reach it
#   npm run local -- --down                destroy the stack and stop the embedded control plane
#   npm run local -- --render              render manifests to rendered/local/ instead (no cluster)
#   npm run local -- --kubeconfig PATH     deploy to your own cluster (kind, k3d, Docker Desktop)
#   npm run local -- --preview | --destroy preview only / destroy the stack of the chosen target
#
# What it sets up (all git-ignored, all local):
#   engine    .engine/ (scripts/engine.sh builds it once from Go modules; later runs reuse it)
#   cluster   .local-cluster/ (tools/cluster: etcd, kube-apiserver, controller-manager, scheduler,
#             kwok with simulated nodes) in a private network namespace with only loopback; reach it
#             with the `kubectl` line printed at the end (nsenter into that namespace)
#   backend   file://.pulumi-state/<target> (no Pulumi Cloud account, no login)
#   secrets   passphrase provider with a FIXED, PUBLIC, LOCAL-ONLY passphrase (scripts/local.ts); it
#             only keeps the local state readable and protects nothing
#   charts    ../shared/charts (or PLATFORM_CHARTS_MIRROR) when present
# Tests may move things: LOCAL_STATE_DIR, LOCAL_RENDER_DIR, LOCAL_CLUSTER_DIR (absolute paths).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLUSTER_DIR="${LOCAL_CLUSTER_DIR:-$ROOT/.local-cluster}"
target="embedded"
kubeconfig=""
pass=()
down=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) target="kubeconfig"; kubeconfig="${2:?--kubeconfig needs a path}"; shift 2 ;;
    --kubeconfig=*) target="kubeconfig"; kubeconfig="${1#--kubeconfig=}"; shift ;;
    --render) target="render"; shift ;;
    --preview|--destroy) pass+=("$1"); shift ;;
    --down) down=1; shift ;;
    *) echo "local: unknown argument $1 (see scripts/local.sh)" >&2; exit 2 ;;
  esac
done

for f in Pulumi.yaml policies/PulumiPolicy.yaml; do
  [ -f "$f" ] || { echo "local: $f is missing: the program or the policy pack is not in this checkout" >&2; exit 1; }
done

echo "== engine (scripts/engine.sh)"
bash "$ROOT/scripts/engine.sh" >/dev/null
# shellcheck disable=SC1091
source "$ROOT/.engine/env.sh"
export ENGINE_BIN="$ROOT/.engine/bin"
tsx=("$ROOT/node_modules/.bin/tsx")

state_field() { node -e 'try{const s=require(process.argv[1]);console.log(s[process.argv[2]]??"")}catch{console.log("")}' "$CLUSTER_DIR/state.json" "$1"; }
running_pid() {
  local pid phase
  pid="$(state_field supervisorPid)"; phase="$(state_field phase)"
  if [ -n "$pid" ] && [ "$phase" = "ready" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

case "$target" in
  render) exec "${tsx[@]}" "$ROOT/scripts/local.ts" --target render "${pass[@]}" ;;
  kubeconfig)
    [ -f "$kubeconfig" ] || { echo "local: kubeconfig $kubeconfig does not exist" >&2; exit 1; }
    exec "${tsx[@]}" "$ROOT/scripts/local.ts" --target kubeconfig --kubeconfig "$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")" "${pass[@]}"
    ;;
esac

# --- the embedded control plane ------------------------------------------------------------------
if [ -n "$down" ]; then
  pid="$(running_pid)"
  if [ -n "$pid" ]; then
    echo "== destroying the local stack on the embedded control plane"
    nsenter --net="/proc/$pid/ns/net" "${tsx[@]}" "$ROOT/scripts/local.ts" --target embedded --kubeconfig "$(state_field kubeconfig)" --destroy
  fi
  "${tsx[@]}" "$ROOT/tools/cluster/cli.ts" down --dir "$CLUSTER_DIR"
  exit 0
fi

pid="$(running_pid)"
if [ -z "$pid" ]; then
  echo "== starting the embedded control plane in $CLUSTER_DIR (loopback-only network namespace)"
  if [ "$(id -u)" -eq 0 ]; then ns=(unshare -n); else ns=(unshare -rn); fi
  "${ns[@]}" sh -c 'ip link set lo up && exec "$@"' sh "${tsx[@]}" "$ROOT/tools/cluster/cli.ts" up --dir "$CLUSTER_DIR" || {
    echo "local: the control plane did not start (logs: $CLUSTER_DIR/logs). Without root or user namespaces, use --render or --kubeconfig PATH." >&2
    exit 1
  }
  pid="$(running_pid)"
else
  echo "== reusing the embedded control plane (supervisor pid $pid, $CLUSTER_DIR)"
fi
kcfg="$(state_field kubeconfig)"
rc=0
nsenter --net="/proc/$pid/ns/net" "${tsx[@]}" "$ROOT/scripts/local.ts" --target embedded --kubeconfig "$kcfg" "${pass[@]}" || rc=$?
cat <<MSG

== the embedded control plane stays up
  kubeconfig: $kcfg
  kubectl:    nsenter --net=/proc/$pid/ns/net $ENGINE_BIN/kubectl --kubeconfig $kcfg get pods -A
  stop it:    npm run local -- --down
MSG
exit "$rc"
