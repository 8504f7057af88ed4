#!/usr/bin/env bash
# The untrusted pull-request check (.github/workflows/untrusted.yml), on this machine:
# the same commands, in the same order, under the same rules.
#
#   bash scripts/untrusted-check.sh
#
# - Every credential-looking variable is removed from the environment first (cloud keys,
#   tokens, passphrases, kubeconfig), as a fork's job has none: a green run here shows the
#   check needs no secret.
# - A failed install stops everything; after it, every check runs even if an earlier one
#   failed (the workflow's `if: !cancelled() && steps.install.outcome == 'success'`).
# - Each command runs under `bash -eo pipefail`, as GitHub runs a `run:` step with `shell: bash`.
# - The job summary goes to $GITHUB_STEP_SUMMARY when set (inside a GitHub job), otherwise to
#   tmp/untrusted-summary.md; the JSON plan stays at $PLAN_DIR/plan.json (the artifact upload
#   is the one workflow step with no local equivalent).
# - The plan diff compares with HEAD^1: in the workflow the merge commit's first parent (the base
#   branch); here, the commit before yours (run scripts/plan-review.sh <ref> for another base).
#
# test/workflows/untrusted-script.test.ts fails if the STEPS list below and the workflow's
# `run:` steps differ in any command or in order: edit both together.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

while IFS= read -r name; do
  case "$name" in
    *TOKEN* | *SECRET* | *PASSWORD* | *PASSPHRASE* | *CREDENTIAL* | *API_KEY* | *ACCESS_KEY* | \
      AWS_* | PULUMI_ACCESS_* | CLOUDFLARE_* | DIGITALOCEAN_* | \
      KUBECONFIG | GOOGLE_* | AZURE_* | ARM_* | NPM_CONFIG__AUTH* | NODE_AUTH_*)
      unset "$name" ;;
  esac
done < <(compgen -e)

# The job's `env:` block.
export CI="true"
export PLAN_DIR="tmp/untrusted"
export PULUMI_SKIP_UPDATE_CHECK="true"
export AWS_EC2_METADATA_DISABLED="true"

if [ -z "${GITHUB_STEP_SUMMARY:-}" ]; then
  mkdir -p tmp
  export GITHUB_STEP_SUMMARY="$PWD/tmp/untrusted-summary.md"
  : > "$GITHUB_STEP_SUMMARY"
fi

# The workflow's `run:` steps, one command a line, in order. The first is the install.
STEPS=$(cat <<'STEPS'
npm ci --no-audit --no-fund
npm run typecheck
npm run engine
npm test
npm run docs -- --check
npm run schema -- --check
npm run preflight
mkdir -p "$PLAN_DIR"
npm run plan -- --all --json "$PLAN_DIR/plan.json" --markdown "$PLAN_DIR/plan.md"
bash scripts/plan-review.sh HEAD^1
if [ -f "$PLAN_DIR/diff.md" ]; then head -c 1000000 "$PLAN_DIR/diff.md"; else echo "No plan diff; read the log of the step that plans the base commit."; fi >> "$GITHUB_STEP_SUMMARY"
if [ -f "$PLAN_DIR/plan.md" ]; then head -c 1000000 "$PLAN_DIR/plan.md"; else echo "The offline plan wrote no report; read the log of its step."; fi >> "$GITHUB_STEP_SUMMARY"
STEPS
)

results=()
failed=0
first=1
while IFS= read -r cmd; do
  [ -n "$cmd" ] || continue
  printf '\n==> %s\n' "$cmd"
  if bash -eo pipefail -c "$cmd"; then
    results+=("ok    $cmd")
  else
    status=$?
    results+=("FAIL  $cmd  (exit $status)")
    failed=$((failed + 1))
    if [ "$first" = 1 ]; then
      printf '\nuntrusted check: the install failed (exit %s); nothing else can run\n' "$status" >&2
      exit "$status"
    fi
  fi
  first=0
done <<< "$STEPS"

printf '\n--- untrusted check ---\n'
printf '%s\n' "${results[@]}"
printf 'job summary: %s\n' "$GITHUB_STEP_SUMMARY"
[ -f "$PLAN_DIR/plan.json" ] && printf 'JSON plan (the artifact): %s\n' "$PLAN_DIR/plan.json"
if [ "$failed" -gt 0 ]; then
  printf 'untrusted check: %s of %s steps failed\n' "$failed" "${#results[@]}"
  exit 1
fi
printf 'untrusted check: all %s steps ok\n' "${#results[@]}"
