#!/usr/bin/env bash
# release.yml: set the images just built in the deploy repository's values file for this
# environment, commit and push to the branch Argo CD follows. No Pulumi, no cluster.
#   env: DEPLOY_REMOTE (git@github.com:<owner>/<repo>.git), DEPLOY_BRANCH, VALUES_FILE
#        (<chart>/values-<environment>.yaml), IMAGES ("svc=repo:tag svc=repo:tag"), STACK,
#        GITHUB_SHA, GITHUB_REPOSITORY, SSH_AUTH_SOCK (deploy-repo-key.sh)
set -euo pipefail
: "${DEPLOY_REMOTE:?}" "${DEPLOY_BRANCH:?}" "${VALUES_FILE:?}" "${IMAGES:?no image was built}"
here="$(cd "$(dirname "$0")" && pwd)"
# GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints"): no
# trust-on-first-use.
known_hosts="$(mktemp)"
cp "$here/github-known-hosts" "$known_hosts"
export GIT_SSH_COMMAND="ssh -o UserKnownHostsFile=$known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=no"
work="$(mktemp -d)"
git clone --quiet --depth 1 --branch "$DEPLOY_BRANCH" "$DEPLOY_REMOTE" "$work/deploy"
read -r -a pairs <<< "$IMAGES"
npx tsx scripts/release.ts bump --values "$work/deploy/$VALUES_FILE" "${pairs[@]}"
cd "$work/deploy"
if git diff --quiet; then
  echo "$VALUES_FILE already has these images; nothing to release"
  exit 0
fi
git -c user.name="platform release" -c user.email="platform-release@users.noreply.github.com" \
  commit --quiet --all --message "release ${GITHUB_SHA:0:12} to ${STACK:-?}: ${IMAGES}" \
  --message "From ${GITHUB_REPOSITORY:-?}@${GITHUB_SHA:-?} by release.yml. Roll back: git revert this commit."
git push --quiet origin "HEAD:$DEPLOY_BRANCH"
echo "pushed $(git rev-parse --short HEAD) to $DEPLOY_BRANCH: $VALUES_FILE"
