#!/usr/bin/env bash
# The offline plan of the base commit, diffed with this commit's: what a pull request changes,
# resource by resource (docs/plan-format.md). Used by .github/workflows/untrusted.yml after its
# plan step, and by scripts/untrusted-check.sh; no credential, no network beyond `npm ci` when the
# base commit's lockfile differs.
#
#   bash scripts/plan-review.sh [BASE_REF]        default HEAD^1
#
# - BASE_REF: the commit to compare with. In the workflow the checkout is the pull request's merge
#   commit (fetched with depth 2), whose first parent HEAD^1 is the base branch's tip.
# - Reads $PLAN_DIR/plan.json (this commit's plan, written by the step before); writes
#   $PLAN_DIR/base.json (the base commit's plan, same targets) and $PLAN_DIR/diff.md (the diff in
#   Markdown, for the job summary). The text diff goes to stdout, its last line the summary.
# - PLAN_TARGETS: the targets to plan on the base commit (default --all, as the workflow's plan step).
# - The base commit is checked out in a temporary git worktree (removed at the end), with this
#   checkout's node_modules when the lockfiles are identical, else its own `npm ci`.
# - A base commit whose plan predates format 1 (no scripts/plan-format.ts) cannot be diffed: the
#   script says so in diff.md and exits 0. Any other failure exits non-zero with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

base_ref=${1:-HEAD^1}
plan_dir=${PLAN_DIR:-tmp/plan-review}
read -ra targets <<< "${PLAN_TARGETS:---all}"
head_json="$root/$plan_dir/plan.json"
base_json="$root/$plan_dir/base.json"
diff_md="$root/$plan_dir/diff.md"

if [ ! -f "$head_json" ]; then
  echo "plan-review: $plan_dir/plan.json is missing: run npm run plan -- ${targets[*]} --json $plan_dir/plan.json first" >&2
  exit 1
fi
if ! base=$(git rev-parse --verify --quiet "$base_ref^{commit}"); then
  echo "plan-review: no commit '$base_ref' in this clone (in CI, check out the merge commit with fetch-depth: 2)" >&2
  exit 1
fi
rm -f "$base_json" "$diff_md"

tree=$(mktemp -d "${TMPDIR:-/tmp}/plan-review-base-XXXXXX")
cleanup() {
  git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"
  git -C "$root" worktree prune >/dev/null 2>&1 || true
}
trap cleanup EXIT
rmdir "$tree"
git worktree add --quiet --detach "$tree" "$base"
echo "plan-review: base commit $(git log -1 --format='%h %s' "$base" | cut -c1-100)"

if [ ! -f "$tree/scripts/plan-format.ts" ]; then
  msg="The base commit ${base:0:12} writes no plan file of format 1 (docs/plan-format.md), so there is nothing to diff with; the next pull request will have a diff."
  echo "plan-review: $msg"
  printf '## Offline plan diff\n\n%s\n' "$msg" > "$diff_md"
  exit 0
fi

if [ -e "$tree/node_modules" ]; then
  echo "plan-review: the base commit has a node_modules of its own; using it"
elif cmp -s "$root/package-lock.json" "$tree/package-lock.json" && [ -d "$root/node_modules" ]; then
  ln -sn "$root/node_modules" "$tree/node_modules"
else
  echo "plan-review: the base commit's package-lock.json differs: npm ci in its worktree"
  (cd "$tree" && npm ci --no-audit --no-fund)
fi

# The base plan's own exit status (1 a violation, 2 a failed target, ...) is the base's business:
# what counts here is that it wrote its file.
set +e
(cd "$tree" && npm run -s plan -- "${targets[@]}" --json "$base_json" > "$tree/plan-review.log" 2>&1)
status=$?
set -e
if [ ! -s "$base_json" ]; then
  echo "plan-review: the base commit's plan wrote no file (exit $status); its output:" >&2
  tail -n 40 "$tree/plan-review.log" >&2
  exit 1
fi
echo "plan-review: base plan written (exit $status): $plan_dir/base.json"

npm run -s plan -- --diff "$base_json" "$head_json" --markdown "$diff_md"
