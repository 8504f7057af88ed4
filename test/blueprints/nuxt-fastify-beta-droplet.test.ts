/**
 * nuxt-fastify-beta-droplet (shared/reference-systems/nuxt-fastify-beta-droplet.md): the Nuxt 3
 * SPA on an edge platform; for beta the Fastify API and PostgreSQL co-located on one droplet; in
 * production the same API as containers on Kubernetes behind a load balancer with a managed or
 * StatefulSet database; Mailgun as an external SaaS over HTTPS. The default stacks deploy it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { supportedTiers } from "../../scripts/plan-lib";
import { TIERS } from "../../stacks/spec/tiers";
import {
  T,
  Runs,
  containersByRole,
  dockerLabels,
  egressRules,
  helmChart,
  hpaFor,
  ingressesOf,
  inventoryOf,
  mainContainer,
  ofType,
  runTiers,
  spec,
  storeComponent,
  within,
  workload,
} from "./helpers";

const NAME = "nuxt-fastify-beta-droplet";
let runs: Runs;
beforeAll(async () => {
  runs = await runTiers(NAME, supportedTiers(NAME));
}, 300_000);

describe(`${NAME}: tiers`, () => {
  it("the droplet in dev, Kubernetes in local, staging and prod", () => {
    expect(Object.fromEntries((["local", "dev", "staging", "prod"] as const).map((t) => [t, inventoryOf(runs, t).outputs.hosting]))).toEqual({
      local: "kubernetes",
      dev: "singleHost",
      staging: "kubernetes",
      prod: "kubernetes",
    });
  });
});

describe.each(["dev", "staging", "prod"] as const)(`${NAME} on %s: the Nuxt SPA on the edge`, (tier) => {
  it("a Cloudflare Worker serves the SPA with COOP/COEP and Nuxt's hashed-asset caching", () => {
    const [w] = ofType(inventoryOf(runs, tier), T.workersScript);
    const m = /const RULE_TABLE = (\{.*?\});\n/.exec(String(w?.inputs.content));
    const table = JSON.parse(m![1]!) as { common: Record<string, string>; rules: { class: string; pattern: string; headers: Record<string, string> }[] };
    expect(table.common).toMatchObject({ "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    expect(
      table.rules
        .filter((r) => r.class === "hashed")
        .map((r) => r.pattern)
        .join(" "),
    ).toContain("_nuxt");
  });
});

describe(`${NAME} on dev (beta: API + PostgreSQL on one droplet)`, () => {
  const inv = () => inventoryOf(runs, "dev");
  it("one droplet (EC2) running the Fastify API, its PostgreSQL and the Caddy proxy as containers", () => {
    expect(ofType(inv(), T.ec2)).toHaveLength(1);
    const api = ofType(inv(), T.container).filter((c) => dockerLabels(c)["platform.service"] === "api");
    expect(api).toHaveLength(1);
    expect(containersByRole(inv(), "postgres")).toHaveLength(1);
    expect(containersByRole(inv(), "proxy")).toHaveLength(1);
    expect(JSON.stringify((api[0]!.inputs.healthcheck as any).tests)).toContain("127.0.0.1:3000/health/live");
  });
  it("PostgreSQL is never published; only the proxy takes traffic (80/443)", () => {
    const published = ofType(inv(), T.container).filter((c) => ((c.inputs.ports as any[]) ?? []).length > 0);
    expect(published.map((c) => dockerLabels(c)["platform.role"])).toEqual(["proxy"]);
  });
  it("Mailgun over HTTPS: the droplet may reach 443 on the internet", () => {
    const [sg] = ofType(inv(), T.securityGroup).filter((s) => /Beta host/.test(String(s.inputs.description)));
    expect(((sg!.inputs.egress as any[]) ?? []).some((r) => r.fromPort === 443 && r.toPort === 443 && (r.cidrBlocks ?? []).includes("0.0.0.0/0"))).toBe(true);
  });
});

describe.each(["staging", "prod"] as const)(`${NAME} on %s (production: Kubernetes)`, (tier) => {
  const inv = () => inventoryOf(runs, tier);
  it("a load balancer (Traefik, cloud LB) routes to multiple API pods through an HPA", () => {
    expect((helmChart(inv(), "traefik")?.inputs.values as any)?.service?.type).toBe("LoadBalancer");
    expect(helmChart(inv(), "ingress-nginx")).toBeUndefined();
    expect(ingressesOf(inv(), "api").length).toBeGreaterThan(0);
    const hpa = hpaFor(inv(), workload(inv(), "api"));
    expect(spec(hpa!).minReplicas).toBe(TIERS[tier].replicas.min);
    expect(mainContainer(workload(inv(), "api")).livenessProbe.httpGet.path).toBe("/health/live");
  });
  it("managed PostgreSQL with backups, and no replica that nobody reads (the API uses DATABASE_URL only)", () => {
    const pg = storeComponent(inv(), "platform:data:Postgres", "main");
    const rds = within(inv(), pg, T.rds);
    expect(rds.length).toBe(1);
    expect(rds.filter((r) => r.inputs.replicateSourceDb)).toEqual([]);
    expect(rds.find((r) => !r.inputs.replicateSourceDb)?.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(1);
  });
  it("Mailgun egress from the API on 443 only, never into private ranges", () => {
    const rules = egressRules(inv(), "api").filter((r) => r.cidrs.includes("0.0.0.0/0"));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.ports).toEqual([{ port: 443, protocol: "TCP" }]);
    expect(rules[0]!.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]));
  });
});

describe(`${NAME} on local (no cloud account)`, () => {
  const inv = () => inventoryOf(runs, "local");
  it("the API on the cluster with its PostgreSQL as an in-cluster StatefulSet", () => {
    expect(spec(workload(inv(), "api")).replicas).toBe(1);
    expect(within(inv(), storeComponent(inv(), "platform:data:Postgres", "main"), T.statefulSet)).toHaveLength(1);
  });
});
