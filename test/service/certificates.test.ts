// One certificate per public host. Before, every Ingress (one per route group) carried the
// cert-manager ingress-shim annotation and its own `<svc>-<group>-tls` secret, so the gateway
// blueprint asked Let's Encrypt four times for api.<domain> and the axum blueprint twice for the
// apex — past the duplicate-certificate limit (5 per week) after one redeploy. Now the planned
// objects hold one Certificate per host, and every Ingress / IngressRoute TLS entry names that
// host's Secret. Read from the program's real planned inventory of every blueprint × tier.
import { describe, expect, it } from "vitest";
import { hostCertificates, tlsSecretName } from "../../components/service/ingress";
import { availableBlueprints } from "../../stacks/spec/load";
import { TIERS } from "../../stacks/spec/tiers";
import { supportedTiers } from "../../scripts/plan-lib";
import type { InventoryResource } from "../../tools/harness/inventory";
import { planned, targetTitle, type PlanTarget } from "../harness/planned";

const CERT = "kubernetes:cert-manager.io/v1:Certificate";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ROUTE = "kubernetes:traefik.io/v1alpha1:IngressRoute";
const SHIM = "cert-manager.io/cluster-issuer";

interface Request {
  what: string;
  namespace: string;
  hosts: string;
}

/**
 * Every request to an ACME CA the objects make (its rate limits are what duplicates exhaust; an
 * in-cluster CA's certificates for the data stores are not counted): a Certificate of an ACME
 * ClusterIssuer, or an Ingress TLS entry under the ingress-shim annotation naming one.
 */
function requests(rs: InventoryResource[]): Request[] {
  const acme = new Set(
    rs
      .filter((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer" && (r.inputs.spec as { acme?: unknown }).acme)
      .map((r) => (r.inputs.metadata as { name: string }).name),
  );
  const out: Request[] = [];
  for (const r of rs) {
    if (r.type === CERT && !acme.has((r.inputs.spec as { issuerRef: { name: string } }).issuerRef.name)) continue;
    if (r.type === INGRESS && !acme.has((r.inputs.metadata as { annotations?: Record<string, string> }).annotations?.[SHIM] ?? "")) continue;
    const meta = r.inputs.metadata as { name: string; namespace?: string; annotations?: Record<string, string> };
    const spec = r.inputs.spec as { dnsNames?: string[]; commonName?: string };
    if (r.type === CERT)
      out.push({
        what: `Certificate ${meta.name}`,
        namespace: meta.namespace ?? "",
        hosts: [...(spec.dnsNames ?? [spec.commonName ?? meta.name])].sort().join(","),
      });
    if (r.type === INGRESS && meta.annotations?.[SHIM]) {
      for (const t of (r.inputs.spec as { tls?: { hosts: string[] }[] }).tls ?? [])
        out.push({ what: `Ingress ${meta.name} (shim)`, namespace: meta.namespace ?? "", hosts: [...t.hosts].sort().join(",") });
    }
  }
  return out;
}

const targets: PlanTarget[] = availableBlueprints().flatMap((blueprint) =>
  supportedTiers(blueprint)
    .filter((t) => TIERS[t].certificates !== "self-signed")
    .map((tier): PlanTarget => ({ blueprint, tier })),
);

describe("one certificate per host", () => {
  for (const t of targets) {
    it(`${targetTitle(t)}: no two certificate requests for the same host set; every TLS entry names its host's one Secret`, async () => {
      const { inventory } = await planned(t);
      const rs = inventory.resources;
      const reqs = requests(rs);
      const seen = new Map<string, string>();
      for (const q of reqs) {
        const key = `${q.namespace}/${q.hosts}`;
        expect(seen.get(key), `${q.what} and ${seen.get(key)} both request ${q.hosts}`).toBeUndefined();
        seen.set(key, q.what);
      }
      const certs = new Map(
        rs
          .filter((r) => r.type === CERT)
          .map((r) => {
            const m = r.inputs.metadata as { namespace: string };
            const s = r.inputs.spec as { secretName: string; dnsNames?: string[] };
            return [`${m.namespace}/${s.secretName}`, s.dnsNames ?? []] as const;
          }),
      );
      const secretOfHost = new Map<string, string>();
      for (const r of rs.filter((x) => (x.type === INGRESS || x.type === ROUTE) && (x.inputs.metadata as { namespace?: string }).namespace !== "monitoring")) {
        const ns = (r.inputs.metadata as { namespace: string }).namespace;
        const entries =
          r.type === INGRESS
            ? ((r.inputs.spec as { tls?: { hosts: string[]; secretName: string }[] }).tls ?? [])
            : [
                {
                  hosts: ((r.inputs.spec as { routes: { match: string }[] }).routes ?? []).map((x) => /Host\(`([^`]+)`\)/.exec(x.match)![1]!),
                  secretName: (r.inputs.spec as { tls: { secretName: string } }).tls.secretName,
                },
              ];
        expect(entries.length).toBeGreaterThan(0);
        for (const e of entries) {
          for (const h of e.hosts) {
            const prev = secretOfHost.get(`${ns}/${h}`);
            expect(prev === undefined || prev === e.secretName, `${h}: secrets ${prev} and ${e.secretName}`).toBe(true);
            secretOfHost.set(`${ns}/${h}`, e.secretName);
            expect(e.secretName).toBe(tlsSecretName(h));
            expect(certs.get(`${ns}/${e.secretName}`), `no Certificate for ${e.secretName}`).toContain(h);
          }
        }
      }
      if (inventory.resources.some((r) => r.type === INGRESS && (r.inputs.metadata as { namespace?: string }).namespace !== "monitoring"))
        expect(secretOfHost.size).toBeGreaterThan(0);
    });
  }

  it("gateway: four route groups on api.<domain> share one Certificate (on prod its canary routes are IngressRoutes)", async () => {
    const { inventory } = await planned({ blueprint: "gateway-flutter-wasm", tier: "prod" });
    const routes = inventory.resources.filter(
      (r) => r.type === "kubernetes:traefik.io/v1alpha1:IngressRoute" && JSON.stringify(r.inputs.spec).includes("Host(`api."),
    );
    expect(routes.length).toBeGreaterThanOrEqual(4);
    const secrets = new Set(routes.map((r) => (r.inputs.spec as { tls: { secretName: string } }).tls.secretName));
    expect([...secrets]).toEqual(["tls-api.example.com"]);
    const certs = inventory.resources.filter(
      (r) => r.type === "kubernetes:cert-manager.io/v1:Certificate" && (r.inputs.spec as { secretName: string }).secretName === "tls-api.example.com",
    );
    expect(certs).toHaveLength(1);
    expect(routes.every((r) => !(r.inputs.metadata as { annotations?: Record<string, string> }).annotations?.[SHIM])).toBe(true);
  });

  it("hostCertificates deduplicates hosts and names the issuer", () => {
    const m = hostCertificates(["api.example.com", "example.com", "api.example.com"], "apps", "letsencrypt");
    expect(m.map((c) => c.metadata.name)).toEqual(["tls-api.example.com", "tls-example.com"]);
    expect(m[0]!.spec).toMatchObject({
      secretName: "tls-api.example.com",
      dnsNames: ["api.example.com"],
      issuerRef: { kind: "ClusterIssuer", name: "letsencrypt" },
    });
  });
});
