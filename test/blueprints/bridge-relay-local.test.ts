/**
 * bridge-relay's development setup on the `local` tier (shared/reference-systems/bridge-relay.md,
 * "Development Environment"): "Relay service connects to local PostgreSQL on port 5432" and "Local
 * testing via Hardhat node on localhost:8545". The local tier runs the chain beside the relay and
 * its PostgreSQL, points the relay at it and lets exactly that flow through the NetworkPolicies;
 * no other tier runs it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { T, Runs, inventoryOf, labels, mainContainer, meta, ofType, runTiers, spec, workload } from "./helpers";

const NAME = "bridge-relay";
let runs: Runs;
beforeAll(async () => {
  runs = await runTiers(NAME, ["local", "staging"]);
}, 300_000);

const chainDeployment = (tier: "local" | "staging") =>
  ofType(inventoryOf(runs, tier), T.deployment).find((d) => labels(d)["app.kubernetes.io/component"] === "dev-chain");

describe(`${NAME} on local: "Local testing via Hardhat node on localhost:8545"`, () => {
  it("a Hardhat-compatible node runs beside the relay and PostgreSQL, from a pinned image, on 8545 behind a Service", () => {
    const inv = inventoryOf(runs, "local");
    const d = chainDeployment("local");
    expect(d, "a dev-chain Deployment").toBeDefined();
    const c = mainContainer(d!);
    expect(c.image).toMatch(/^ghcr\.io\/foundry-rs\/foundry:v\d+\.\d+\.\d+$/);
    expect(c.args.join(" ")).toMatch(/anvil --host 0\.0\.0\.0 --port 8545 --chain-id 31337/);
    expect(c.ports).toEqual([{ name: "rpc", containerPort: 8545, protocol: "TCP" }]);
    expect(c.readinessProbe.tcpSocket.port).toBe("rpc");
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    const svc = ofType(inv, T.service).find((s) => meta(s).name === "hardhat");
    expect(spec(svc!).ports).toEqual([{ name: "http", port: 8545, targetPort: "rpc", protocol: "TCP" }]);
    expect(spec(svc!).selector).toEqual(spec(d!).selector.matchLabels);
    // "Relay service connects to local PostgreSQL on port 5432": the relay and its store are here too.
    expect(workload(inv, "relay")).toBeDefined();
    expect(
      inv.resources.some(
        (r) => r.type === T.cnpgCluster || (r.type === T.statefulSet && labels(r)["platform.io/store"] !== undefined) || /postgres/i.test(r.name),
      ),
    ).toBe(true);
  });

  it("the relay is pointed at it: ETHEREUM_RPC_URL (http) and ETHEREUM_WS_URL (ws) on 8545", () => {
    const env = Object.fromEntries((mainContainer(workload(inventoryOf(runs, "local"), "relay")).env as any[]).map((e) => [e.name, e.value]));
    expect(env.ETHEREUM_RPC_URL).toMatch(/^http:\/\/hardhat\.[a-z0-9-]+\.svc\.cluster\.local:8545$/);
    expect(env.ETHEREUM_WS_URL).toMatch(/^ws:\/\/hardhat\.[a-z0-9-]+\.svc\.cluster\.local:8545$/);
  });

  it("the NetworkPolicies let the relay reach it on 8545, and nothing else in", () => {
    const inv = inventoryOf(runs, "local");
    const pols = ofType(inv, T.netpol);
    const chainSel = spec(chainDeployment("local")!).selector.matchLabels;
    const into = pols.filter(
      (p) => Object.entries(chainSel).every(([k, v]) => spec(p)?.podSelector?.matchLabels?.[k] === v) && (spec(p).policyTypes ?? []).includes("Ingress"),
    );
    const from = into.flatMap((p) => (spec(p).ingress ?? []) as any[]);
    expect(from.length).toBeGreaterThan(0);
    expect(from.every((r) => (r.ports ?? []).every((pt: any) => pt.port === 8545 || pt.port === "http"))).toBe(true);
    expect(from.flatMap((r) => (r.from ?? []).map((f: any) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"]))).toEqual(["relay"]);
    const relayOut = pols
      .filter((p) => spec(p)?.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "relay")
      .flatMap((p) => (spec(p).egress ?? []) as any[]);
    expect(
      relayOut.some(
        (r) =>
          (r.to ?? []).some((t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "hardhat") &&
          (r.ports ?? []).some((pt: any) => pt.port === 8545),
      ),
    ).toBe(true);
  });

  it("only the local tier runs it: staging's relay talks to the node providers", () => {
    expect(chainDeployment("staging")).toBeUndefined();
    const env = ((mainContainer(workload(inventoryOf(runs, "staging"), "relay")).env ?? []) as any[]).map((e) => e.name);
    expect(env).not.toContain("ETHEREUM_RPC_URL");
  });
});
