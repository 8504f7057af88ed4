#!/usr/bin/env bash
# release.yml: load the deploy repository's write key (an SSH deploy key of that one repository)
# from Secrets Manager into ssh-agent, with the environment's deploy role. The key never touches
# the disk or the log: the secret's value goes from the AWS CLI straight into `ssh-add -`.
#   env: DEPLOY_KEY_SECRET (platform/<stack>/deploy-repo-key), GITHUB_ENV
set -euo pipefail
: "${DEPLOY_KEY_SECRET:?the release plan names the secret (platform/<stack>/deploy-repo-key)}"
eval "$(ssh-agent -s)" >/dev/null
aws secretsmanager get-secret-value --secret-id "$DEPLOY_KEY_SECRET" --query SecretString --output text | ssh-add - 2>/dev/null
{
  echo "SSH_AUTH_SOCK=$SSH_AUTH_SOCK"
  echo "SSH_AGENT_PID=$SSH_AGENT_PID"
} >> "$GITHUB_ENV"
