#!/usr/bin/env bash
# `npm run engine`: the real Pulumi engine for this repository, built from Go modules and
# cached under the git-ignored .engine/ folder. Idempotent: a binary that exists with the
# right version stamp is not rebuilt. Prints where everything is.
#
#   .engine/bin/pulumi                      CLI, github.com/pulumi/pulumi/pkg/v3 v3.248.0
#   .engine/bin/pulumi-language-nodejs      this repo's Node.js language host (tools/engine/cmd/...)
#   .engine/bin/pulumi-resource-kubernetes  github.com/pulumi/pulumi-kubernetes/provider/v4 (see below)
#   .engine/bin/pulumi-analyzer-policy-nodejs  policy-pack launcher (the CLI's legacy analyzer path)
#   .engine/bin/pulumi-resource-pulumi-nodejs  dynamic-provider launcher (from the sdk module)
#   .engine/bin/kube-apiserver, kube-controller-manager, kube-scheduler, kubectl   k8s.io/kubernetes v1.36.3
#   .engine/bin/kwok                         sigs.k8s.io/kwok v0.8.0 (simulated nodes for the embedded cluster)
#   .engine/bin/helm                         helm.sh/helm/v3 v3.21.4
#   .engine/bin/rollouts-controller          github.com/argoproj/argo-rollouts v1.9.0 (chart argo-rollouts 2.41.0's appVersion)
#   .engine/bin/prometheus                   github.com/prometheus/prometheus v0.316.0 (Prometheus 3.16.0; tests only)
#   .engine/bin/argocd                       github.com/argoproj/argo-cd/v3 v3.6.1 (GOTOOLCHAIN=go1.27.3; tests only)
#   .engine/bin/traefik-crd                  ours, on github.com/traefik/traefik/v3 v3.7.13's CRD + Ingress providers and
#                                            headers/redirect/buffering middlewares (not cmd/traefik: see below; tests only)
#   .engine/env.sh                          `source` it: PATH, PULUMI_HOME and offline switches
#
# Everything but argocd is ONE Go module (tools/engine/go.mod) built by ONE `go build`, so the
# packages the binaries share compile once (step 1); argocd needs Go 1.27 and is its own (step 2).
# A `pulumi` already on PATH at v3.248.x or newer within v3 is used instead of building the
# CLI (with its own bundled pulumi-language-nodejs if it has one next to it), and so are the
# control-plane binaries, kubectl, helm and kwok at compatible versions.
#
# Pieces the Go module proxy reachable here does not serve (answers 403 "This module version
# is not available") — see tools/engine/README.md:
#   github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (any version)
#   github.com/pulumi/pulumi-kubernetes/provider/v4 v4.34.2 (only a Jan 2026 pseudo-version is served)
#   github.com/pulumi/pulumi-random/provider/v4 v4.21.2 (no version served) -> not built
#   13 SDK modules of lego's DNS providers (ucloud-sdk-go v0.22.116, nrdcg/oci-go-sdk, sacloud, ...),
#   which traefik v3.7.13's cmd/traefik imports through its ACME provider -> traefik-crd instead
#
# Env: ENGINE_QUIET=1 prints only the bin dir; ENGINE_FORCE=1 rebuilds everything;
#      ENGINE_NO_BUILD=1 fails (exit 3, naming `npm run engine`) where a build would be needed;
#      tests use it, so no build ever runs inside a test worker.
#      ENGINE_PROGRESS_SECONDS=N prints build progress every N seconds (default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENGINE_DIR="$ROOT/.engine"
BIN="$ENGINE_DIR/bin"
TOOLS="$ROOT/tools/engine"
LOG="$ENGINE_DIR/build.log"
TIMES="$ENGINE_DIR/build-times.txt"

# Go: the toolchain on the machine, modules from the proxy. The sum database reachable here has
# no entries for github.com/pulumi/* (lookups answer 404), so those modules are checked against
# the go.sum files committed in tools/engine/ instead (GONOSUMDB) and nothing else is relaxed.
export GOTOOLCHAIN=local
export GONOSUMDB="github.com/pulumi"
export GOFLAGS="-mod=readonly -trimpath"

say() { [ "${ENGINE_QUIET:-}" = "1" ] || printf '%s\n' "$*" >&2; }
mkdir -p "$BIN" "$ENGINE_DIR/home"
# One build at a time (parallel test files, a test run next to `npm run local`).
exec 9>"$ENGINE_DIR/.lock"
flock 9

# stamp_ok NAME KEY: the binary exists and was built from KEY.
stamp_ok() {
  [ "${ENGINE_FORCE:-}" != "1" ] && [ -x "$BIN/$1" ] && [ -f "$BIN/.$1.stamp" ] &&
    [ "$(cat "$BIN/.$1.stamp")" = "$2" ]
}
# must_build NAME: a build is needed; with ENGINE_NO_BUILD=1 (tests) that is an error instead.
must_build() {
  if [ "${ENGINE_NO_BUILD:-}" = "1" ]; then
    echo "engine: $1 is missing or out of date in $BIN: run 'npm run engine' (or 'bash scripts/setup.sh') first" >&2
    exit 3
  fi
}
write_stamp() { printf '%s' "$2" >"$BIN/.$1.stamp"; }
hash_files() { cat "$@" | sha256sum | cut -c1-16; }

# timed NAME CMD...: run a build step with low priority, record its wall time, and say every
# ENGINE_PROGRESS_SECONDS (default 60) that it is still running and how many packages it compiled
# (`go build -v` lists each package it compiles into the log), so a long first build is visible.
timed() {
  local name="$1"; shift
  local start end rc pid mark next every="${ENGINE_PROGRESS_SECONDS:-60}"
  start=$(date +%s)
  mark=$(wc -l 2>/dev/null <"$LOG" || echo 0)
  say "engine: building $name (log: $LOG) ..."
  GOFLAGS="$GOFLAGS -v" nice -n 10 "$@" >>"$LOG" 2>&1 &
  pid=$!
  next=$((start + every))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if [ "$(date +%s)" -ge "$next" ]; then
      say "engine:   ... $name: $(( $(date +%s) - start ))s, $(( $(wc -l <"$LOG") - mark )) packages compiled so far"
      next=$((next + every))
    fi
  done
  rc=0; wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    say "engine: building $name FAILED (exit $rc); last lines of $LOG:"
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  end=$(date +%s)
  # CPU time of the build (user + system, all its processes): on a shared machine the wall time
  # says more about the neighbours than about the build. `times` line 2: children's user, system.
  # (`times` runs here, not in a $(...) subshell, whose own children counters start at zero.)
  local cpu
  times >"$ENGINE_DIR/.times"
  cpu="$(sed -n 2p "$ENGINE_DIR/.times" | awk '{ split($1,u,/[ms]/); split($2,y,/[ms]/); printf "%d", u[1]*60+u[2]+y[1]*60+y[2] }')"
  printf '%s\t%ss\t%s\tcpu %ss\n' "$name" "$((end - start))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cpu" >>"$TIMES"
  say "engine: built $name in $((end - start))s (CPU ${cpu}s, load $(cut -d' ' -f1-3 /proc/loadavg))"
}

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
command -v go >/dev/null || { echo "engine: Go is required (go1.25+)" >&2; exit 1; }
command -v node >/dev/null || { echo "engine: node is required" >&2; exit 1; }

# --- 1. Six Go modules, one `go build` each ---------------------------------------------------
# Every binary comes from one of six modules (tools/engine/README.md, "Modules"), and each module
# is built by ONE `go build -o .engine/bin/ <its packages>`: within a module Go's minimal version
# selection gives every shared dependency one version, so a package several binaries import
# (client-go, grpc, otel, protobuf, golang.org/x/...) compiles once.
#   tools/engine            the CLI and our language host
#   tools/engine/kubernetes the Kubernetes provider (its own pulumi/pkg, k8s.io v0.33 and helm)
#   tools/engine/cluster    kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io
#                           v1.36.3; its staging modules replaced by their v0.36.3 releases), kwok,
#                           helm and the Argo Rollouts controller, all on that k8s.io release
#   tools/engine/argocd     Argo CD (tests only; ours ./cmd/argocd: the three commands the tests run);
#                           Go 1.27 (GOTOOLCHAIN=go1.27.3, the approved toolchain, fetched from the
#                           module proxy once)
#   tools/engine/prometheus Prometheus 3.16.0 (tests only)
#   tools/engine/traefik    traefik-crd (ours ./cmd/traefik-crd on Traefik v3.7.13's packages; tests only)
# Why not fewer: the provider's code needs pulumi/pkg v3.215's codegen types and
# structured-merge-diff/v4 (k8s.io v0.34+ uses v6); Argo CD needs Go 1.27 and k8s.io v0.37 and
# gobwas/glob v1.0.0, whose API Prometheus's otel collector confmap (v0.2.3's) does not compile
# against; Prometheus needs a libopenapi the CLI does not compile against. All but the CLI and the
# provider build with CGO off, as their upstream releases are (static binaries).
#
# A binary already on PATH at a compatible version is used instead of building it: `pulumi`
# v3.248.x+ (with the pulumi-language-nodejs next to it, if any), kubectl/kube-* at the control
# plane's minor version, helm v3.21+, kwok v0.8.x.
PULUMI_VERSION="3.248.0"
K8S_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
K8S_PROVIDER_VERSION="v4.0.0-20260115033456-f47bc2d6f199"
K8S_PLUGIN_VERSION="${K8S_PROVIDER_VERSION#v}"
K8S_VERSION="v1.36.3"
KWOK_VERSION="v0.8.0"
HELM_VERSION="v3.21.4"
ROLLOUTS_VERSION="v1.9.0"
ROLLOUTS_MODULE="github.com/argoproj/argo-rollouts"
ARGOCD_VERSION="v3.6.1"
ARGOCD_MODULE="github.com/argoproj/argo-cd/v3"
ARGOCD_GO="go1.27.3"
PROMETHEUS_VERSION="v0.316.0"
PROMETHEUS_APP_VERSION="3.16.0"
# Prometheus without every cloud service-discovery plugin but Kubernetes SD (file and http SD
# always stay); without `builtinassets` no web UI (HTTP API only).
PROMETHEUS_TAGS="remove_all_sd,enable_kubernetes_sd"
TRAEFIK_VERSION="v3.7.13"
k8s_minor="${K8S_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"

declare -A pkg_of=(
  [pulumi]=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  [pulumi-language-nodejs]=./cmd/pulumi-language-nodejs
  [pulumi-resource-kubernetes]=.
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [kwok]=sigs.k8s.io/kwok/cmd/kwok
  [helm]=helm.sh/helm/v3/cmd/helm
  [rollouts-controller]=$ROLLOUTS_MODULE/cmd/rollouts-controller
  [argocd]=./cmd/argocd
  [prometheus]=github.com/prometheus/prometheus/cmd/prometheus
  [traefik-crd]=./cmd/traefik-crd
)
declare -A module_of=(
  [pulumi]=. [pulumi-language-nodejs]=. [pulumi-resource-kubernetes]=kubernetes
  [kube-apiserver]=cluster [kube-controller-manager]=cluster [kube-scheduler]=cluster [kubectl]=cluster
  [kwok]=cluster [helm]=cluster [rollouts-controller]=cluster
  [argocd]=argocd [prometheus]=prometheus [traefik-crd]=traefik
)
MODULES=(. kubernetes cluster prometheus argocd traefik)

# The stamp key of a module: the versions it pins, its go.mod/go.sum and our own sources in it.
module_key() {
  case "$1" in
    .) echo "v$PULUMI_VERSION-$(hash_files "$TOOLS/go.mod" "$TOOLS/go.sum" "$TOOLS/cmd/pulumi-language-nodejs/main.go")" ;;
    kubernetes) echo "$K8S_PROVIDER_VERSION-$(hash_files "$TOOLS/kubernetes/go.mod" "$TOOLS/kubernetes/go.sum" "$TOOLS/kubernetes/main.go")" ;;
    cluster) echo "$K8S_VERSION-$KWOK_VERSION-$HELM_VERSION-$ROLLOUTS_VERSION-$(hash_files "$TOOLS/cluster/go.mod" "$TOOLS/cluster/go.sum")" ;;
    prometheus) echo "$PROMETHEUS_VERSION-$PROMETHEUS_TAGS-$(hash_files "$TOOLS/prometheus/go.mod" "$TOOLS/prometheus/go.sum")" ;;
    argocd) echo "$ARGOCD_VERSION-$ARGOCD_GO-$(hash_files "$TOOLS/argocd/go.mod" "$TOOLS/argocd/go.sum" "$TOOLS/argocd/cmd/argocd/main.go")" ;;
    traefik) echo "$TRAEFIK_VERSION-$(hash_files "$TOOLS/traefik/go.mod" "$TOOLS/traefik/go.sum" "$TOOLS/traefik/ext/go.mod" "$TOOLS/traefik/ext/ext.go" "$TOOLS/traefik/cmd/traefik-crd/main.go")" ;;
  esac
}

# ambient NAME REGEX CMD...: link a compatible binary from PATH (other than $BIN) into $BIN; 0 if linked.
ambient() {
  local name="$1" want="$2"; shift 2
  [ "${ENGINE_FORCE:-}" = "1" ] && return 1
  local found
  found="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:)" command -v "$name" 2>/dev/null)" || return 1
  if "$found" "$@" 2>/dev/null | grep -Eq "$want"; then
    ln -sf "$found" "$BIN/$name"
    write_stamp "$name" "ambient"
    say "engine: using $name $("$found" "$@" 2>/dev/null | head -n 1) from PATH ($found)"
    return 0
  fi
  return 1
}

# Version stamps for every binary (the linker ignores -X for a symbol a binary does not link).
LDFLAGS="-s -w"
LDFLAGS+=" -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION -X main.version=$PULUMI_VERSION"
LDFLAGS+=" -X $K8S_PROVIDER_MODULE/pkg/version.Version=$K8S_PLUGIN_VERSION"
LDFLAGS+=" -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$k8s_minor"
LDFLAGS+=" -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
LDFLAGS+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
LDFLAGS+=" -X $ROLLOUTS_MODULE/utils/version.version=${ROLLOUTS_VERSION#v} -X $ROLLOUTS_MODULE/utils/version.gitTag=$ROLLOUTS_VERSION"
LDFLAGS+=" -X $ARGOCD_MODULE/common.version=${ARGOCD_VERSION#v} -X $ARGOCD_MODULE/common.gitTag=$ARGOCD_VERSION -X $ARGOCD_MODULE/common.kubectlVersion=v0.37.0"
LDFLAGS+=" -X github.com/prometheus/common/version.Version=$PROMETHEUS_APP_VERSION -X github.com/prometheus/common/version.Branch=module -X github.com/prometheus/common/version.Revision=$PROMETHEUS_VERSION"

# The provider's own `go generate` step: stamp the version into its schema, minify both files
# (embedded by kubernetes/main.go; git-ignored).
provider_generate() {
  local moddir
  moddir="$(cd "$TOOLS/kubernetes" && go mod download -json "$K8S_PROVIDER_MODULE@$K8S_PROVIDER_VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')"
  node -e '
    const fs = require("fs"), [src, out, version] = process.argv.slice(1);
    const schema = JSON.parse(fs.readFileSync(src + "/schema.json", "utf8"));
    schema.version = version;
    fs.writeFileSync(out + "/schema-embed.json", JSON.stringify(schema));
    const mapping = JSON.parse(fs.readFileSync(src + "/terraform-mapping.json", "utf8"));
    fs.writeFileSync(out + "/terraform-mapping-embed.json", JSON.stringify(mapping));
  ' "$moddir/cmd/pulumi-resource-kubernetes" "$TOOLS/kubernetes" "$K8S_PLUGIN_VERSION"
}

for mod in "${MODULES[@]}"; do
  key="$(module_key "$mod")"
  need_build=()
  for name in "${!module_of[@]}"; do
    [ "${module_of[$name]}" = "$mod" ] || continue
    if [ -L "$BIN/$name" ] && [ "$(cat "$BIN/.$name.stamp" 2>/dev/null)" = "ambient" ] && [ -x "$BIN/$name" ]; then continue; fi
    case "$name" in
      pulumi) ambient pulumi '^v?3\.(24[89]|2[5-9][0-9]|[3-9][0-9][0-9])\.' version && continue ;;
      kubectl) ambient kubectl "v1\.$k8s_minor\." version --client && continue ;;
      helm) ambient helm "^v3\.(2[1-9]|[3-9][0-9])\." version --short && continue ;;
      kwok) ambient kwok "v0\.8\." --version && continue ;;
      kube-apiserver|kube-controller-manager|kube-scheduler) ambient "$name" "v1\.$k8s_minor\." --version && continue ;;
    esac
    [ -L "$BIN/$name" ] && rm -f "$BIN/$name"
    stamp_ok "$name" "$key" || need_build+=("$name")
  done
  if [ "$mod" = "." ] && [ -L "$BIN/pulumi" ] && [ -x "$(dirname "$(readlink "$BIN/pulumi")")/pulumi-language-nodejs" ]; then
    # The host bundled next to an ambient CLI speaks its protocol: use it instead of ours.
    ln -sf "$(dirname "$(readlink "$BIN/pulumi")")/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
    write_stamp pulumi-language-nodejs "ambient"
    mapfile -t need_build < <(printf '%s\n' "${need_build[@]}" | grep -vx pulumi-language-nodejs || true)
  fi
  [ "${#need_build[@]}" -gt 0 ] || continue
  mapfile -t need_build < <(printf '%s\n' "${need_build[@]}" | sort)
  must_build "${need_build[*]}"
  pkgs=()
  for name in "${need_build[@]}"; do pkgs+=("${pkg_of[$name]}"); done
  if [[ " ${need_build[*]} " == *" pulumi-resource-kubernetes "* ]]; then provider_generate; fi
  # `-o DIR/` names each binary after its package's last path element (kube-apiserver, helm,
  # argocd, ...); a module's single main package at its root (the provider's) is named explicitly.
  out="$BIN/"; [ "${#pkgs[@]}" -eq 1 ] && out="$BIN/${need_build[0]}"
  toolchain=local; tags=""; cgo=""
  case "$mod" in
    cluster) cgo=0 ;;
    prometheus) cgo=0; tags="$PROMETHEUS_TAGS" ;;
    argocd) cgo=0; toolchain="$ARGOCD_GO" ;;
    traefik) cgo=0 ;;
  esac
  (cd "$TOOLS/$mod" && export GOTOOLCHAIN="$toolchain" && if [ -n "$cgo" ]; then export CGO_ENABLED="$cgo"; fi && timed "${need_build[*]} (module tools/engine/${mod#.})" go build \
    -tags "$tags" -ldflags "$LDFLAGS" -o "$out" "${pkgs[@]}")
  for name in "${need_build[@]}"; do write_stamp "$name" "$key"; done
  if [[ " ${need_build[*]} " == *" argocd "* ]]; then rm -f "$BIN/gpg-wrapper.sh" "$BIN/git-verify-wrapper.sh"; fi
done

# What the upstream image (its Dockerfile) puts next to the binary: the argv[0] names as symlinks
# and hack/gpg-wrapper.sh + hack/git-verify-wrapper.sh, which the repo-server runs to read its
# GnuPG keyring (it exits without it) and to verify commit signatures (every manifest request
# fails with "permission denied" without it), taken from the same module version.
if [ ! -x "$BIN/gpg-wrapper.sh" ] || [ ! -x "$BIN/git-verify-wrapper.sh" ]; then
  must_build "gpg-wrapper.sh, git-verify-wrapper.sh"
  src="$(cd "$TOOLS/argocd" && GOTOOLCHAIN="$ARGOCD_GO" go list -m -f '{{.Dir}}' "$ARGOCD_MODULE")/hack"
  install -m 0755 "$src/gpg-wrapper.sh" "$src/git-verify-wrapper.sh" "$BIN/"
fi
for name in argocd-repo-server argocd-application-controller argocd-git-ask-pass; do ln -sf argocd "$BIN/$name"; done

# --- 2. Launchers ---------------------------------------------------------------------------
# The CLI starts `pulumi-analyzer-policy-<runtime>` for a policy pack only when no language
# plugin for the pack's runtime is found (sdk/go/common/resource/plugin/analyzer_plugin.go,
# NewPolicyAnalyzer); it runs it in the pack's directory with `<engine> . [-opt=value...]`.
# With a language host present (the usual case) the host's RunPlugin runs the same entry.
cat >"$BIN/pulumi-analyzer-policy-nodejs.tmp" <<'EOF'
#!/bin/sh
# Runs @pulumi/pulumi's policy-pack entry, resolved from the policy pack's directory.
entry="$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [process.cwd()] })' 2>/dev/null)" || {
  echo "Cannot find module '@pulumi/pulumi/cmd/run-policy-pack' (run npm ci)" >&2
  exit 1
}
exec node "$entry" "$@"
EOF
chmod +x "$BIN/pulumi-analyzer-policy-nodejs.tmp"
mv "$BIN/pulumi-analyzer-policy-nodejs.tmp" "$BIN/pulumi-analyzer-policy-nodejs"
ln -sf pulumi-analyzer-policy-nodejs "$BIN/pulumi-analyzer-policy"

# Dynamic providers (pulumi.dynamic.Resource) use the bundled `pulumi-nodejs` resource plugin.
cat >"$BIN/pulumi-resource-pulumi-nodejs.tmp" <<'EOF'
#!/bin/sh
entry="$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] })' 2>/dev/null)" || {
  echo "Cannot find module '@pulumi/pulumi/cmd/dynamic-provider' (run npm ci)" >&2
  exit 1
}
exec node "$entry" "$@"
EOF
chmod +x "$BIN/pulumi-resource-pulumi-nodejs.tmp"
mv "$BIN/pulumi-resource-pulumi-nodejs.tmp" "$BIN/pulumi-resource-pulumi-nodejs"

# --- 3. Environment for callers -------------------------------------------------------------
cat >"$ENGINE_DIR/env.sh" <<EOF
# Generated by scripts/engine.sh. Source it to use the repo's engine.
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$ENGINE_DIR/home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
EOF

if [ "${ENGINE_QUIET:-}" != "1" ]; then
  say "engine: ready in $BIN"
  say "  pulumi                       $("$BIN/pulumi" version 2>/dev/null || echo '?')"
  if [ -L "$BIN/pulumi-language-nodejs" ]; then
    say "  pulumi-language-nodejs       $(readlink "$BIN/pulumi-language-nodejs") (next to the pulumi on PATH)"
  else
    say "  pulumi-language-nodejs       $PULUMI_VERSION protocol (repo's own host: tools/engine/cmd/pulumi-language-nodejs)"
  fi
  say "  pulumi-resource-kubernetes   $K8S_PLUGIN_VERSION (npm @pulumi/kubernetes is 4.34.2; v4.34.2 not served by the proxy)"
  say "  rollouts-controller          $ROLLOUTS_VERSION (argo-rollouts; chart 2.41.0)"
  say "  prometheus                   $PROMETHEUS_APP_VERSION (module $PROMETHEUS_VERSION, tests only)"
  say "  argocd                       $ARGOCD_VERSION (argo-cd, slim: controller, repo-server, git-ask-pass; built with $ARGOCD_GO; chart 10.1.1 ships v3.4.4, not buildable; tests only)"
  say "  traefik-crd                  ours on traefik $TRAEFIK_VERSION (CRD + Ingress providers, headers/redirect/buffering middlewares; tests only)"
  say "  pulumi-resource-random       not built: github.com/pulumi/pulumi-random/provider/v4 is not served by the proxy"
  say "  disk: $(du -sh "$ENGINE_DIR" 2>/dev/null | cut -f1) in .engine/"
  say "  use: source .engine/env.sh"
fi
printf '%s\n' "$BIN"
