/**
 * Property test: for random service graphs (exposure, ports, calls, connectsTo, egress), the
 * planned policies judged by the shared evaluator allow exactly the declared flows into apps and
 * data — never internet/ingress → data, metrics only from monitoring, data only from the clients
 * that declare the store.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roleNamespaceNames, planNamespaces } from "../../components/cluster/namespaces";
import { NetpolService, NetpolStore, planNetworkPolicies } from "../../components/cluster/netpol";
import { clientRule, tcp } from "../../components/data/network";
import { Reachability } from "../../policies/lib/reachability";

const NS = roleNamespaceNames();
const STORES = ["postgres/main", "redis/cache", "scylla/events"];
const storePort: Record<string, number> = { "postgres/main": 5432, "redis/cache": 6379, "scylla/events": 9042 };
const storeSel = (ref: string) => ({ "app.kubernetes.io/name": ref.split("/")[0]!, "app.kubernetes.io/instance": ref.split("/")[1]! });

const serviceArb = (i: number) =>
  fc
    .record({
      exposure: fc.constantFrom("public", "internal", "none") as fc.Arbitrary<NetpolService["exposure"]>,
      http: fc.integer({ min: 1024, max: 8999 }),
      metrics: fc.option(fc.integer({ min: 9000, max: 9999 }), { nil: undefined }),
      connectsTo: fc.subarray(STORES),
      callsIdx: fc.subarray([0, 1, 2, 3]),
    })
    .map((r) => ({ ...r, name: `svc${i}` }));

const graphArb = fc.tuple(serviceArb(0), serviceArb(1), serviceArb(2), serviceArb(3));

function build(raw: any[]) {
  const services: NetpolService[] = (raw as any[]).map((r, i) => ({
    name: r.name,
    exposure: r.exposure,
    ports: { http: r.http, ...(r.metrics !== undefined ? { metrics: r.metrics } : {}) },
    routedPorts: r.exposure === "public" ? ["http"] : [],
    connectsTo: r.connectsTo,
    calls: (r.callsIdx as number[]).filter((j) => j !== i).map((j) => `svc${j}`),
    egress: [],
    podSelector: { "app.kubernetes.io/name": r.name, "app.kubernetes.io/part-of": "platform-apps" },
  }));
  const stores: NetpolStore[] = STORES.map((ref) => ({
    ref,
    network: {
      kind: "kubernetes",
      namespace: NS.data,
      ports: [tcp("client", storePort[ref]!)],
      ingress: [clientRule(storeSel(ref), [tcp("client", storePort[ref]!)], { namespace: NS.data, clientNamespaces: [NS.apps] })],
      egress: [],
    },
  }));
  return { services, stores };
}

const dep = (ns: string, name: string, labels: Record<string, string>, ports: number[]) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { template: { metadata: { labels }, spec: { containers: [{ name, ports: ports.map((containerPort) => ({ containerPort })) }] } } },
});

describe("NetworkPolicy planner properties", () => {
  it("allows exactly the declared flows into apps and data", () => {
    fc.assert(
      fc.property(graphArb, (raw) => {
        const { services, stores } = build(raw as any[]);
        const policies = planNetworkPolicies({
          namespaces: NS,
          ingressController: { podSelector: { "app.kubernetes.io/name": "ingress-nginx" }, ports: [80, 443] },
          prometheusSelector: { "app.kubernetes.io/name": "prometheus" },
          services,
          stores,
          externalNetworks: {},
          apiServerCidrs: ["10.0.0.0/16"],
          managedStoreCidrs: [],
          acmeHttp01: false,
        });
        const manifests = [
          ...planNamespaces(NS).map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } })),
          ...services.map((s) => dep(NS.apps, s.name, s.podSelector, [s.ports.http, ...(s.ports.metrics ? [s.ports.metrics] : [])])),
          ...STORES.map((ref) => dep(NS.data, ref.replace("/", "-"), storeSel(ref), [storePort[ref]!])),
          dep(NS.ingress, "controller", { "app.kubernetes.io/name": "ingress-nginx" }, [80, 443]),
          dep(NS.monitoring, "prometheus", { "app.kubernetes.io/name": "prometheus" }, [9090]),
          ...policies,
        ];
        const flows = new Reachability(manifests as any).flows();
        const byName = new Map(services.map((s) => [s.name, s]));
        for (const f of flows) {
          if (f.to.kind !== "pod" || (f.to.namespace !== NS.apps && f.to.namespace !== NS.data)) continue;
          const from = f.from.kind === "pod" ? `${f.from.namespace}/${f.from.workload.split("/")[1]}` : "external";
          const toName = f.to.workload.split("/")[1]!;
          if (f.to.namespace === NS.data) {
            const ref = toName.replace("-", "/");
            const src = f.from.kind === "pod" && f.from.namespace === NS.apps ? byName.get(f.from.workload.split("/")[1]!) : undefined;
            expect(src?.connectsTo.includes(ref), `${from} -> data/${toName}`).toBe(true);
            expect([f.fromPort, f.toPort]).toEqual([storePort[ref], storePort[ref]]);
            continue;
          }
          const dst = byName.get(toName)!;
          const port = f.fromPort;
          expect(f.fromPort).toBe(f.toPort);
          if (from === `${NS.ingress}/controller`) expect(dst.exposure === "public" && port === dst.ports.http, `${from} -> ${toName}:${port}`).toBe(true);
          else if (from === `${NS.monitoring}/prometheus`) expect(port, `${from} -> ${toName}`).toBe(dst.ports.metrics);
          else if (f.from.kind === "pod" && f.from.namespace === NS.apps) {
            const caller = byName.get(f.from.workload.split("/")[1]!)!;
            expect(caller.calls.includes(dst.name) && dst.exposure !== "none" && port === dst.ports.http, `${from} -> ${toName}:${port}`).toBe(true);
          } else throw new Error(`unexpected flow ${from} -> apps/${toName}:${port}`);
        }
        // And every declared flow is allowed.
        const r = (fromNs: string, fromName: string, toNs: string, toName: string, port: number) =>
          flows.some(
            (f) =>
              f.from.kind === "pod" &&
              f.from.namespace === fromNs &&
              f.from.workload.endsWith(`/${fromName}`) &&
              f.to.kind === "pod" &&
              f.to.namespace === toNs &&
              f.to.workload.endsWith(`/${toName}`) &&
              f.fromPort <= port &&
              port <= f.toPort,
          );
        for (const s of services) {
          for (const ref of s.connectsTo) expect(r(NS.apps, s.name, NS.data, ref.replace("/", "-"), storePort[ref]!)).toBe(true);
          for (const c of s.calls) if (byName.get(c)!.exposure !== "none") expect(r(NS.apps, s.name, NS.apps, c, byName.get(c)!.ports.http)).toBe(true);
          if (s.exposure === "public") expect(r(NS.ingress, "controller", NS.apps, s.name, s.ports.http)).toBe(true);
          if (s.ports.metrics) expect(r(NS.monitoring, "prometheus", NS.apps, s.name, s.ports.metrics)).toBe(true);
        }
      }),
      { numRuns: 60, seed: 20261122 },
    );
  });
});
