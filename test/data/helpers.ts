/**
 * Fixtures and assertions shared by the data-store tests: explicit providers, fake network
 * ids, and inventory checks (no open CIDR anywhere, generated secrets never plain).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Inventory, InventoryResource } from "../../tools/harness/inventory";
import { ProgramError, runProgram } from "../../tools/harness/run";

export const APP_SG = "sg-0app000000000001";
export const awsNet = {
  vpcId: "vpc-0fake000000000001",
  subnetIds: ["subnet-0priv00000000001", "subnet-0priv00000000002", "subnet-0priv00000000003"],
  allowedSecurityGroupIds: [APP_SG],
};
export const k8sNet = { namespace: "data", clientNamespaces: ["apps"] };

export function awsProviders() {
  return {
    aws: new aws.Provider("aws", { region: "us-east-1" }),
    random: new random.Provider("random", {}),
  };
}

export function secondaryAws() {
  return new aws.Provider("aws-backup-region", { region: "us-west-2" });
}

export function k8sProviders() {
  const dir = mkdtempSync(join(tmpdir(), "data-k8s-"));
  return {
    kubernetes: new k8s.Provider("k8s", { renderYamlToDirectory: dir }),
    random: new random.Provider("random", {}),
  };
}

export const byType = (inv: Inventory, type: string): InventoryResource[] => inv.resources.filter((r) => r.type === type);
export const one = (inv: Inventory, type: string): InventoryResource => {
  const found = byType(inv, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
};
export const k8sKind = (inv: Inventory, kind: string): InventoryResource[] =>
  inv.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind);

/** Every string leaf with its dotted/indexed path. */
export function leaves(v: unknown, path = ""): [string, string][] {
  if (typeof v === "string") return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k));
  return [];
}

/** Paths in any resource's inputs holding an open CIDR (0.0.0.0/0 or ::/0). */
export function openCidrs(inv: Inventory): string[] {
  return inv.resources.flatMap((r) =>
    leaves(r.inputs)
      .filter(([, s]) => /(^|[^0-9])0\.0\.0\.0\/0|(^|[^0-9a-f:])::\/0/.test(s))
      .map(([p]) => `${r.name}.${p}`),
  );
}

/** Paths where a generated password (mock `RandomPassword` result) sits in an input not marked secret. */
export function plainSecrets(inv: Inventory): string[] {
  const pwNames = byType(inv, "random:index/randomPassword:RandomPassword").map((r) => `mock-${r.name}-`);
  if (pwNames.length === 0) return [];
  const covered = (r: InventoryResource, p: string) => r.secretPaths.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
  const bad: string[] = [];
  for (const r of inv.resources) {
    for (const [p, s] of leaves(r.inputs)) {
      if (pwNames.some((n) => s.includes(n)) && !covered(r, p)) bad.push(`${r.type}::${r.name}.${p}`);
    }
  }
  for (const [p, s] of leaves(inv.outputs)) {
    if (pwNames.some((n) => s.includes(n)) && !inv.secretOutputPaths.some((sp) => p === sp || p.startsWith(`${sp}.`) || p.startsWith(`${sp}[`)))
      bad.push(`outputs.${p}`);
  }
  return bad;
}

/** Custom resources that are not providers. */
export const customs = (inv: Inventory): InventoryResource[] => inv.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));

/** Run a program that must fail; return its ProgramError (with the inventory of what got registered). */
export async function failure(program: () => Record<string, unknown> | void): Promise<ProgramError> {
  try {
    await runProgram(() => program() ?? {});
  } catch (e) {
    if (e instanceof ProgramError) return e;
    throw e;
  }
  throw new Error("expected the program to fail, but it succeeded");
}

/** Only the primary AWS provider (to combine with k8sProviders(), which brings random). */
export function awsOnly() {
  return new aws.Provider("aws", { region: "us-east-1" });
}
