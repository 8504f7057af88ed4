/** Args of the `Network` component (the stack's AWS VPC). */
import { z } from "zod";

export const networkArgs = z.strictObject({
  /** VPC CIDR, /16 to /20. */
  cidr: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, { message: "an IPv4 CIDR such as 10.0.0.0/16" })
    .default("10.0.0.0/16"),
  /** Availability zones (3 for HA; 2 accepted). */
  azs: z
    .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, { message: "an AZ name such as us-east-1a" }))
    .min(2)
    .max(3),
  /** One NAT gateway per AZ (HA egress, prod), a single one (cheaper), or none (private subnets hold only managed data stores, e.g. the single-host topology). */
  nat: z.enum(["single", "perAz", "none"]).default("single"),
  /** VPC flow logs to CloudWatch: `REJECT` (cheap, what security reviews need) or `ALL`; `none` must be explicit. */
  flowLogs: z.enum(["REJECT", "ALL", "none"]).default("REJECT"),
  flowLogRetentionDays: z.int().min(1).max(3653).default(30),
  /** KMS key for the flow-log group. */
  kmsKeyArn: z.custom<unknown>().optional(),
  /** EKS cluster name to tag subnets for load-balancer discovery. */
  clusterName: z.string().min(1).optional(),
});

export type NetworkArgs = z.input<typeof networkArgs>;
export type ParsedNetworkArgs = z.output<typeof networkArgs>;

export function parseNetworkArgs(name: string, args: unknown): ParsedNetworkArgs {
  const res = networkArgs.safeParse(args);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  throw new Error(`Network "${name}": invalid args\n${lines.join("\n")}`);
}
