/**
 * The CI role that pushes a stack's images into its ECR registry, named once: the stack file's
 * `platform:imageRegistry.pushRoleName` in `platform:imageRegistry.accountId`. Three readers use
 * this module and nothing else to turn it into a role:
 *
 *  - the program (stacks/compose/images.ts → components/registry) attaches the push-only policy to
 *    `name`;
 *  - the release plan (scripts/release.ts) prints `arn` as `push-role-arn`, which release.yml's
 *    `build-ecr` job assumes by GitHub OIDC (`role-to-assume: ${{ needs.plan.outputs.push-role-arn }}`);
 *  - preflight (stacks/preflight) lists the role, with the trust policy below, among what must
 *    exist before the first deploy.
 *
 * The role itself is created outside the program (like the deploy roles, docs/delivery.md
 * "One-time setup"): a job cannot create the role it logs in with. It lives at IAM's default path
 * `/`, so its ARN is `arn:aws:iam::<account>:role/<name>`.
 */

/** The release workflow, its ECR push job, and the GitHub OIDC issuer (docs/delivery.md). */
export const RELEASE_WORKFLOW_FILE = ".github/workflows/release.yml";
export const RELEASE_ECR_JOB = "build-ecr";
const GITHUB_OIDC = "token.actions.githubusercontent.com";

export interface PushRole {
  name: string;
  arn: string;
}

/** The push role of a stack's ECR registry, or undefined when the stack names none. */
export function releasePushRole(r: { accountId: string; pushRoleName?: string | undefined }): PushRole | undefined {
  if (!r.pushRoleName) return undefined;
  return { name: r.pushRoleName, arn: `arn:aws:iam::${r.accountId}:role/${r.pushRoleName}` };
}

/**
 * The push role's trust policy: GitHub's OIDC provider in the account, for the release job of
 * `repository` on the branches that release to the stacks sharing the role. The `build-ecr` job
 * runs in no GitHub environment (it pushes before production's approval, as the view's pipeline
 * does: build → push → approval → deploy), so its token's subject is the branch ref.
 */
export function releasePushTrustPolicy(o: { accountId: string; repository: string; branches: string[] }): object {
  if (!o.branches.length) throw new Error("releasePushTrustPolicy: at least one branch");
  const subs = [...new Set(o.branches)].sort().map((b) => `repo:${o.repository}:ref:refs/heads/${b}`);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${o.accountId}:oidc-provider/${GITHUB_OIDC}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${GITHUB_OIDC}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC}:sub`]: subs.length === 1 ? subs[0] : subs },
        },
      },
    ],
  };
}
