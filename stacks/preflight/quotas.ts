/**
 * Regional AWS quotas the stacks of one account share (pure). Each stack's footprint comes from
 * stacks/compose/footprint.ts (what the network composer builds); the stacks counted together are
 * those in the same region whose account is the same — the account id in
 * `platform:delivery.connectionArn` (the CodeBuild runner's connection lives in the stack's
 * account) — or unknown (then counted with every account, the safe side).
 *
 * Defaults are AWS's: 5 Elastic IPs per region (L-0263D0A3), 5 NAT gateways per AZ (L-FE5A380F),
 * 5 VPCs per region (L-F678F1CE). A stack declares a granted increase in `platform:quotas.<name>`.
 */
import { awsFootprint, type AwsFootprint } from "../compose/footprint";
import type { PlatformSpec } from "../spec/platform";
import type { Finding } from "./deploy-path";

export interface QuotaStack {
  /** Stack file name, e.g. `Pulumi.prod.yaml`. */
  file: string;
  spec: PlatformSpec;
  quotas: { elasticIps?: number | undefined; natGatewaysPerAz?: number | undefined; vpcs?: number | undefined };
}

export const QUOTAS = {
  elasticIps: { name: "EC2-VPC Elastic IPs", code: "L-0263D0A3", service: "ec2", default: 5, count: (f: AwsFootprint) => f.elasticIps },
  natGatewaysPerAz: {
    name: "NAT gateways per Availability Zone",
    code: "L-FE5A380F",
    service: "vpc",
    default: 5,
    count: (f: AwsFootprint) => f.natGatewaysPerAz,
  },
  vpcs: { name: "VPCs per Region", code: "L-F678F1CE", service: "vpc", default: 5, count: (f: AwsFootprint) => f.vpcs },
} as const;

export type QuotaName = keyof typeof QUOTAS;

/** The stack's AWS account id (from its CodeConnections ARN), if the stack file tells. */
export function accountOf(spec: PlatformSpec): string | undefined {
  return spec.delivery ? /^arn:aws:[a-z-]+:[a-z0-9-]+:(\d{12}):/.exec(spec.delivery.connectionArn)?.[1] : undefined;
}

/** Stacks counted with `self`: same region, same or unknown account. `self` first. */
export function sharing(self: QuotaStack, others: QuotaStack[]): QuotaStack[] {
  const fp = awsFootprint(self.spec);
  if (!fp) return [];
  const acct = accountOf(self.spec);
  return [
    self,
    ...others.filter((o) => {
      const ofp = awsFootprint(o.spec);
      if (!ofp || ofp.region !== fp.region) return false;
      const oa = accountOf(o.spec);
      return acct === undefined || oa === undefined || oa === acct;
    }),
  ];
}

export function checkQuotas(self: QuotaStack, others: QuotaStack[]): Finding[] {
  const group = sharing(self, others);
  if (group.length === 0) return [];
  const region = self.spec.regions.primary;
  const acct = accountOf(self.spec);
  const out: Finding[] = [];
  for (const [key, q] of Object.entries(QUOTAS) as [QuotaName, (typeof QUOTAS)[QuotaName]][]) {
    const parts = group.map((s) => ({ s, n: q.count(awsFootprint(s.spec)!) })).filter((p) => p.n > 0);
    const total = parts.reduce((a, p) => a + p.n, 0);
    const declared = group.map((s) => s.quotas[key]).filter((v): v is number => v !== undefined);
    const limit = declared.length ? Math.max(...declared) : q.default;
    if (total <= limit) continue;
    const need = total;
    out.push({
      check: `quotas/${key}`,
      setting: `${self.file}: platform:quotas.${key}`,
      problem:
        `the stacks in ${acct ? `account ${acct}` : "the same account (no platform:delivery.connectionArn names it, so every stack file counts)"}, ${region}, need ${total} × ${q.name} ` +
        `(${parts.map((p) => `${p.s.spec.stack}: ${p.n}`).join(", ")}), over the ${declared.length ? "declared" : "default"} quota of ${limit}: the deploy that goes over fails midway`,
      fix:
        `request ${need} or more in Service Quotas (\`aws service-quotas request-service-quota-increase --service-code ${q.service} --quota-code ${q.code} --desired-value ${need} --region ${region}\`), ` +
        `then once granted declare it: \`pulumi config set --path platform:quotas.${key} ${need} -s ${self.spec.stack}\`; or deploy a stack to another account or region`,
    });
  }
  return out;
}

/** A declared increase must have been granted before the deploy: one prerequisite per declared quota. */
export function quotaPrerequisites(self: QuotaStack): { kind: string; setting: string; what: string; how: string }[] {
  return (Object.entries(QUOTAS) as [QuotaName, (typeof QUOTAS)[QuotaName]][])
    .filter(([key]) => self.quotas[key] !== undefined)
    .map(([key, q]) => ({
      kind: "quota",
      setting: `${self.file}: platform:quotas.${key}`,
      what: `AWS granted ${q.name} ≥ ${self.quotas[key]} in ${self.spec.regions.primary}`,
      how: `aws service-quotas get-service-quota --service-code ${q.service} --quota-code ${q.code} --region ${self.spec.regions.primary} --query Quota.Value`,
    }));
}
