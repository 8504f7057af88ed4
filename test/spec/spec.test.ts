import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../stacks/spec/errors";
import { availableBlueprints, loadSpec, readBlueprint } from "../../stacks/spec/load";
import { TIERS, backupLevel, dataReplicas, serviceReplicas } from "../../stacks/spec/tiers";
import { ProgramError } from "../../tools/harness/run";
import { listStacks, readStackFile, runStackInput } from "../../tools/harness/stacks";
import { generatedSchemas } from "../../scripts/schema";
import * as fs from "node:fs";
import { richBlueprint, richConfig } from "./fixtures";

function issuesOf(config: Record<string, unknown>, blueprint: unknown = richBlueprint()) {
  try {
    loadSpec({ stack: "prod", config, blueprint });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues;
  }
  throw new Error("expected the spec to be rejected");
}

function withService(patch: (svc: any, bp: any) => void) {
  const bp = richBlueprint() as any;
  patch(bp.services[0], bp);
  return bp;
}

describe("spec: valid input", () => {
  it("accepts the rich fixture and resolves tier sizes and overrides", () => {
    const spec = loadSpec({ stack: "prod", config: richConfig(), blueprint: richBlueprint() });
    expect(spec.tier).toBe("prod");
    expect(spec.hosting).toMatchObject({ mode: "kubernetes", cluster: "eks", ingressController: "traefik" });
    expect(spec.services.api).toEqual({ image: "ghcr.io/acme/api:2.0.0", replicas: { min: 4, max: 10 } });
    expect(spec.services.worker!.replicas).toEqual({ min: 3, max: 20 });
    expect(spec.providedSecrets).toEqual(["mailgunApiKey"]);
    expect(JSON.stringify(spec)).not.toContain("fake-mailgun-key-for-tests");
  });

  it("every committed stack file and every blueprint validates", () => {
    expect(listStacks()).toEqual(expect.arrayContaining(["local", "dev", "staging", "prod"]));
    for (const stack of listStacks()) {
      const input = readStackFile(stack);
      const cfg = Object.fromEntries(
        Object.entries(input.config)
          .filter(([k]) => k.startsWith("platform:"))
          .map(([k, v]) => [k.slice(9), /^[[{]/.test(v) ? JSON.parse(v) : v]),
      );
      if (cfg.tier !== "local") cfg.secrets = { mailgunApiKey: "placeholder" };
      // Alert receivers' secrets are set with `pulumi config set --secret`, outside git.
      if (cfg.tier !== "local")
        cfg.alertingSecrets = Object.fromEntries(
          ((cfg.alerting as { receivers?: { name: string }[] } | undefined)?.receivers ?? []).map((r) => [r.name, "placeholder"]),
        );
      expect(() => loadSpec({ stack, config: cfg })).not.toThrow();
    }
    for (const name of availableBlueprints()) {
      const read = readBlueprint(name);
      expect(read.issues).toEqual([]);
      expect((read.data as any).name).toBe(name);
    }
  });

  it("the environment matrix grows monotonically from local to prod", () => {
    expect(TIERS.local.replicas.min).toBe(1);
    expect(TIERS.staging.replicas.min).toBe(2);
    expect(TIERS.prod.replicas.min).toBeGreaterThanOrEqual(3);
    expect([backupLevel(TIERS.dev.backups), backupLevel(TIERS.staging.backups), backupLevel(TIERS.prod.backups)]).toEqual(["daily", "daily", "hourly+daily"]);
    expect(TIERS.prod.protectState && TIERS.prod.multiAz).toBe(true);
    expect(serviceReplicas(TIERS.prod, { replicated: false })).toEqual({ min: 1, max: 1 });
    expect(serviceReplicas(TIERS.staging, { replicated: true })).toEqual({ min: 2, max: 2 });
    expect(dataReplicas(TIERS.staging, 2)).toBe(1);
    expect(dataReplicas(TIERS.prod, 2)).toBe(2);
    expect(dataReplicas(TIERS.local, 2)).toBe(0);
  });

  it("the committed JSON Schemas are generated from the current zod schema", () => {
    for (const [rel, text] of Object.entries(generatedSchemas())) {
      expect(fs.readFileSync(path.join(__dirname, "..", "..", rel), "utf8"), `${rel} is stale: npm run schema`).toBe(text);
    }
  });
});

describe("spec: every problem reported with its file, field path and fix", () => {
  const cases: [string, Record<string, unknown>, unknown, RegExp][] = [
    ["unknown stack key", { ...richConfig(), teir: "prod" }, richBlueprint(), /Pulumi\.prod\.yaml: platform:teir: unknown key/],
    ["bad tier", { ...richConfig(), tier: "production" }, richBlueprint(), /platform:tier: must be one of "local", "dev", "staging", "prod"/],
    ["open SSH", { ...richConfig(), host: { sshAllowList: ["0.0.0.0/0"] } }, richBlueprint(), /platform:host\.sshAllowList\[0\]: SSH must never be open/],
    [
      "public EKS API",
      { ...richConfig(), cluster: { mode: "eks", publicAccessCidrs: ["::/0"] } },
      richBlueprint(),
      /platform:cluster\.publicAccessCidrs\[0\]: the Kubernetes API must not be public/,
    ],
    [
      "missing human secret",
      { ...richConfig(), secrets: {} },
      richBlueprint(),
      /platform:secrets\.mailgunApiKey: secret 'mailgunApiKey' is not set: `pulumi config set --secret/,
    ],
    ["unknown override", { ...richConfig(), overrides: { services: { apo: {} } } }, richBlueprint(), /platform:overrides\.services\.apo: no service 'apo'/],
    [
      "public route without TLS",
      richConfig(),
      withService((s) => (s.routes[0].tls = false)),
      /services\[0\] \(api\)\.routes\[0\]\.tls: public routes always terminate TLS/,
    ],
    [
      "metrics port routed",
      richConfig(),
      withService((s) => (s.routes[0].port = "metrics")),
      /routes\[0\]\.port: the metrics port is never routed by a public ingress/,
    ],
    ["metrics equals http", richConfig(), withService((s) => (s.ports.metrics = 8080)), /ports\.metrics: the metrics port must differ from the http port/],
    [
      "latest in prod",
      richConfig(),
      withService((s) => (s.image = "ghcr.io/acme/api:latest")),
      /services\[0\] \(api\)\.image: tier 'prod' requires pinned images/,
    ],
    ["untagged image", richConfig(), withService((s) => (s.image = "ghcr.io/acme/api")), /\.image: must be an image reference with a tag or digest/],
    ["unknown service key", richConfig(), withService((s) => (s.replicas = 3)), /services\[0\] \(api\): unknown key 'replicas'/],
    ["dangling data store", richConfig(), withService((s) => s.connectsTo.push("postgres/nope")), /connectsTo\[5\]: no data store 'postgres\/nope'/],
    ["dangling egress", richConfig(), withService((s) => s.egress.push("cardano")), /egress\[2\]: no external network 'cardano'/],
    [
      "undeclared config secret",
      richConfig(),
      withService((s) => s.secrets.push({ env: "X", from: "config:other" })),
      /secrets\[4\]\.from: config secret 'other' is not declared/,
    ],
    [
      "internal with routes",
      richConfig(),
      withService((_s, bp) => (bp.services[1].routes = [{ host: "w" }])),
      /services\[1\] \(worker\)\.routes: only public services have ingress routes/,
    ],
    [
      "open egress beyond 443",
      richConfig(),
      withService((_s, bp) => (bp.externalNetworks.mailgun.ports = [25])),
      /externalNetworks\.mailgun\.ports: egress to the whole internet is allowed only on 443/,
    ],
    [
      "body limit for an unknown route group",
      richConfig(),
      withService((s) => (s.requestBodyLimits = { uploads: 10_485_760 })),
      /services\[0\] \(api\)\.requestBodyLimits\.uploads: no route uses route group 'uploads': name a group of `routes\[\]\.group` or remove the entry/,
    ],
    [
      "body limit over the bound",
      richConfig(),
      withService((s) => (s.requestBodyLimits = { api: 100_000_000 })),
      /requestBodyLimits\.api: at most 67108864 bytes \(64 MiB\): the ingress buffers every body/,
    ],
    ["port out of range", richConfig(), withService((s) => (s.ports.http = 70000)), /ports\.http: ports are 1-65535/],
    ["scylla on a single host", { ...richConfig(), hosting: "singleHost" }, richBlueprint(), /dataStores\.scylla\[0\] \(chain\): scylla needs Kubernetes/],
    ["blueprint without hosting", richConfig(), withService((_s, bp) => (bp.hosting = {})), /hosting: a blueprint needs at least one hosting topology/],
  ];
  for (const [title, config, blueprint, expected] of cases) {
    it(title, () => {
      const issues = issuesOf(config, blueprint);
      const text = issues.map((i) => `${i.file}: ${i.path}: ${i.message}`).join("\n");
      expect(text).toMatch(expected);
    });
  }

  it("reports all problems at once", () => {
    const bp = withService((s) => {
      s.routes[0].tls = false;
      s.ports.metrics = 8080;
      s.image = "ghcr.io/acme/api:latest";
    });
    const issues = issuesOf({ ...richConfig(), secrets: {} }, bp);
    expect(issues.length).toBeGreaterThanOrEqual(4);
  });

  it("a missing blueprint names the available ones", () => {
    expect(() => loadSpec({ stack: "prod", config: { ...richConfig(), blueprint: "nope" } })).toThrow(
      /platform:blueprint: no blueprint 'nope': choose one of .*nuxt-fastify-beta-droplet/,
    );
  });
});

describe("spec: an invalid stack registers nothing", () => {
  it("the real program stops before registering any resource", async () => {
    const input = readStackFile("prod");
    input.config["platform:tier"] = "production";
    input.config["platform:hosts"] = "{}";
    const err = await runStackInput(input).catch((e) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect(err.message).toMatch(/platform:tier: must be one of/);
    expect(err.message).toMatch(/platform:hosts: unknown key/);
    expect((err as ProgramError).inventory.resources.filter((r) => r.custom)).toEqual([]);
    expect((err as ProgramError).inventory.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("npm run plan exits non-zero with field-path errors", () => {
    const root = path.resolve(__dirname, "..", "..");
    const r = spawnSync(
      process.execPath,
      [
        path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
        "scripts/plan.ts",
        "--program",
        "index.ts",
        "--stack",
        "broken",
        "--config",
        "platform:tier=prodd",
        "--config",
        "platform:blueprint=nuxt-fastify-beta-droplet",
        "--config",
        "platform:domain=Example",
      ],
      { cwd: root, encoding: "utf8" },
    );
    // Exit 2 = the program failed (scripts/plan.ts: 0 clean, 1 violation, 2 failed, 3 incomplete),
    // with the spec's own field paths and nothing registered.
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/PROGRAM FAILED/);
    expect(r.stdout).toMatch(/invalid platform spec for stack 'broken' \(2 problems\); nothing was registered/);
    expect(r.stdout).toMatch(/platform:tier: must be one of/);
    expect(r.stdout).toMatch(/platform:domain: must be a lower-case DNS name/);
  });
});
