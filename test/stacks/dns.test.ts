// Every public host an Ingress serves has its DNS record, managed by the program, pointing at the
// ingress controller's load balancer. Before this, no record pointed any Kubernetes-tier host
// (api., relay., app., the apex) anywhere: HTTP-01 certificates never validated and the web app's
// API origin did not resolve. The check reads the Ingresses the program actually registers.
import { describe, expect, it } from "vitest";
import { ingressServiceName } from "../../stacks/compose/dns";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { availableBlueprints, readBlueprint } from "../../stacks/spec/load";
import { REPO_ROOT } from "../../tools/harness/stacks";
import type { InventoryResource } from "../../tools/harness/inventory";
import { planned, type PlanTarget, targetTitle } from "../harness/planned";
import { supportedTiers } from "../../scripts/plan-lib";

/** Public route hosts of a blueprint file, read here independently of the program. */
function blueprintHosts(name: string, domain: string): string[] {
  const bp = readBlueprint(name).data as { services: { exposure?: string; routes?: { host: string }[] }[] };
  return bp.services.filter((s) => s.exposure === "public").flatMap((s) => (s.routes ?? []).map((r) => (r.host === "@" ? domain : `${r.host}.${domain}`)));
}
function edgeHost(name: string, domain: string): string | undefined {
  const bp = readBlueprint(name).data as { edge?: { host: string } };
  return bp.edge ? (bp.edge.host === "@" ? domain : `${bp.edge.host}.${domain}`) : undefined;
}
function domainOf(t: PlanTarget): string {
  const stack = "stack" in t ? t.stack : t.tier;
  return String((parse(readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config["platform:domain"]);
}

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const CF = "cloudflare:index/dnsRecord:DnsRecord";
const R53 = "aws:route53/record:Record";

function ingressHosts(rs: InventoryResource[]): string[] {
  const hosts = new Set<string>();
  for (const r of rs.filter((x) => x.type === INGRESS)) {
    for (const rule of (r.inputs.spec as { rules?: { host?: string }[] } | undefined)?.rules ?? []) if (rule.host) hosts.add(rule.host);
  }
  return [...hosts].sort();
}

/** Records by name, with what they point at. */
function records(rs: InventoryResource[]): Map<string, { type: string; target: unknown; res: InventoryResource }> {
  const out = new Map<string, { type: string; target: unknown; res: InventoryResource }>();
  for (const r of rs) {
    if (r.type === CF) out.set(String(r.inputs.name), { type: String(r.inputs.type), target: r.inputs.content, res: r });
    if (r.type === R53)
      out.set(String(r.inputs.name), {
        type: String(r.inputs.type),
        target: (r.inputs.records as unknown[] | undefined)?.[0] ?? (r.inputs.aliases as { name: unknown }[] | undefined)?.[0]?.name,
        res: r,
      });
  }
  return out;
}

const targets: PlanTarget[] = [
  { stack: "staging" },
  { stack: "prod" },
  ...availableBlueprints().flatMap((blueprint) =>
    supportedTiers(blueprint)
      .filter((t) => t === "staging" || t === "prod")
      .map((tier): PlanTarget => ({ blueprint, tier })),
  ),
];

describe("every host an Ingress serves has its record at the ingress load balancer", () => {
  for (const target of targets) {
    it(targetTitle(target), async () => {
      const { inventory } = await planned(target);
      const rs = inventory.resources;
      // The Ingresses the program registers, plus every public route of the blueprint (on a GitOps tier
      // Argo CD applies the Ingresses, so they are not in the inventory, but their hosts still need records).
      const spec = "stack" in target ? undefined : target;
      const hosts = [
        ...new Set([
          ...ingressHosts(rs),
          ...blueprintHosts(
            spec?.blueprint ?? (inventory.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs?.blueprint as string),
            domainOf(target),
          ),
        ]),
      ]
        .filter(
          (h) =>
            h !==
            edgeHost(spec?.blueprint ?? (inventory.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs?.blueprint as string), domainOf(target)),
        )
        .sort();
      expect(hosts.length, "the target serves public hosts").toBeGreaterThan(0);
      const recs = records(rs);
      // The edge site's own host is its component's record (CDN or Worker), not the load balancer's.
      const missing: string[] = [];
      for (const h of hosts) {
        const rec = recs.get(h);
        if (!rec) {
          missing.push(h);
          continue;
        }
        if (rec.res.name.includes("-dns-")) {
          // Ours: a CNAME (or an apex A alias) whose target comes from the controller Service's status.
          expect(["CNAME", "A"]).toContain(rec.type);
          // The mock cloud answers the read of the controller's Service with an ELB name: the record
          // carries what that read returned, not a constant.
          expect(String(rec.target)).toMatch(/^mock-[0-9a-f]+\.elb\.[a-z0-9-]+\.amazonaws\.com$/);
        }
      }
      expect(missing, "hosts served by an Ingress with no DNS record").toEqual([]);
    });
  }

  it("the Service read is the controller's, in the ingress namespace", () => {
    expect(ingressServiceName("traefik")).toBe("traefik");
  });
});
