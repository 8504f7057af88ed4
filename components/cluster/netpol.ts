/**
 * The one NetworkPolicy planner (pure: data in, manifests out, no Pulumi import).
 *
 * From the role namespaces, the services (exposure, ports, connectsTo, calls, egress), the data
 * stores' network contracts (components/data/network.ts `DataNetwork`) and the named external
 * networks, it returns EVERY NetworkPolicy of the platform:
 *
 *  - per role namespace: `default-deny` (Ingress + Egress, all pods) and `allow-dns` (egress to
 *    kube-dns in kube-system on 53/UDP+TCP);
 *  - ingress namespace: the controller admits the internet on its web ports, reaches the API
 *    server, and reaches public services on their routed ports only (and ACME HTTP-01 solver pods
 *    when certificates come from Let's Encrypt);
 *  - apps namespace: one policy per service — ingress from the controller (public services only,
 *    routed ports), from its callers (`calls`, http port), from monitoring (metrics port); egress to
 *    its callees, to the data stores it `connectsTo` (store pods on store ports, or the VPC CIDR for
 *    managed stores), and to its named external networks by CIDR/port;
 *  - data namespace: the stores' own rules, with the `clients` rule narrowed to exactly the
 *    services that list the store in `connectsTo`;
 *  - monitoring namespace: Prometheus reaches the metrics ports of the services and the API server.
 *
 * Policies are additive (a union): anything not listed here is denied.
 */
import type { PortSpec } from "../data/network";

export type {
  Labels,
  MonitoringFlows,
  NetpolExternal,
  NetpolInput,
  NetpolService,
  NetpolStore,
  NetworkPolicyManifest,
  Role,
  RoleNamespaces,
} from "./netpol-types";
import type { Labels, NetpolInput, NetpolService, NetworkPolicyManifest, Peer, Port, Role, Rule } from "./netpol-types";

const NS_LABEL = "kubernetes.io/metadata.name";
const ACME_SOLVER = { "acme.cert-manager.io/http01-solver": "true" };
export const KUBE_DNS = { namespace: "kube-system", podSelector: { "k8s-app": "kube-dns" } };
const API_PORTS: Port[] = [
  { port: 443, protocol: "TCP" },
  { port: 6443, protocol: "TCP" },
];
/** The internet minus the private ranges: data-store external egress never reaches into the VPC by accident. */
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const nsPeer = (ns: string, podSelector?: Labels): Peer => ({
  namespaceSelector: { matchLabels: { [NS_LABEL]: ns } },
  ...(podSelector ? { podSelector: { matchLabels: { ...podSelector } } } : { podSelector: {} }),
});
const tcp = (port: number): Port => ({ port, protocol: "TCP" });
const portsOf = (ps: PortSpec[]): Port[] => ps.map((p) => ({ port: p.port, protocol: p.protocol }));
const ipPeers = (cidrs: string[], except: string[] = []): Peer[] =>
  cidrs.map((cidr) => {
    const ex = except.filter((e) => !cidr.includes(":") && cidr !== e && cidrPrefix(cidr) < cidrPrefix(e));
    return ex.length ? { ipBlock: { cidr, except: ex } } : { ipBlock: { cidr } };
  });
const cidrPrefix = (c: string) => Number(c.split("/")[1] ?? "32");
const uniq = <T>(xs: T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];

function policy(
  name: string,
  namespace: string,
  selector: NetworkPolicyManifest["spec"]["podSelector"],
  ingress?: Rule[],
  egress?: Rule[],
): NetworkPolicyManifest {
  const policyTypes: ("Ingress" | "Egress")[] = [];
  if (ingress) policyTypes.push("Ingress");
  if (egress) policyTypes.push("Egress");
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "pulumi", "platform.io/policy": "segmentation" } },
    spec: {
      podSelector: selector,
      policyTypes,
      ...(ingress ? { ingress } : {}),
      ...(egress ? { egress } : {}),
    },
  };
}

/** Every problem with the input (unknown refs, clashes); empty when the plan is sound. */
export function checkNetpolInput(i: NetpolInput): string[] {
  const problems: string[] = [];
  const names = new Set(i.services.map((s) => s.name));
  const refs = new Set(i.stores.map((s) => s.ref));
  for (const s of i.services) {
    s.calls.forEach((c) => names.has(c) || problems.push(`services.${s.name}.calls: no service '${c}'`));
    s.connectsTo.forEach(
      (c) => refs.has(c) || problems.push(`services.${s.name}.connectsTo: no data store '${c}' was given to the planner (pass its DataNetwork)`),
    );
    s.egress.forEach((e) => i.externalNetworks[e] || problems.push(`services.${s.name}.egress: no external network '${e}'`));
    if (Object.keys(s.podSelector).length === 0) problems.push(`services.${s.name}.podSelector: must not be empty (it would select every pod)`);
  }
  for (const st of i.stores) {
    const dataNamespaces = [i.namespaces.data, ...(i.namespaces.dataPrivileged ? [i.namespaces.dataPrivileged] : [])];
    if (st.network.kind === "kubernetes" && !dataNamespaces.includes(st.network.namespace)) {
      problems.push(
        `stores.${st.ref}: runs in namespace '${st.network.namespace}', expected a data namespace (${dataNamespaces.map((n) => `'${n}'`).join(" or ")})`,
      );
    }
  }
  if (i.apiServerCidrs.length === 0) problems.push("apiServerCidrs: give the API server's CIDRs (the VPC CIDR on EKS)");
  return problems;
}

/** The complete set of NetworkPolicies, deterministic order. Throws on an unsound input. */
export function planNetworkPolicies(i: NetpolInput): NetworkPolicyManifest[] {
  const problems = checkNetpolInput(i);
  if (problems.length) throw new Error(`NetworkPolicies: invalid input\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const ns = i.namespaces;
  const out: NetworkPolicyManifest[] = [];
  const dns: Rule = {
    to: [nsPeer(KUBE_DNS.namespace, KUBE_DNS.podSelector)],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
  const api: Rule = { to: ipPeers(i.apiServerCidrs), ports: API_PORTS };

  for (const n of [...(["ingress", "apps", "data", "monitoring"] as Role[]).map((r) => ns[r]), ...(ns.dataPrivileged ? [ns.dataPrivileged] : [])]) {
    out.push(policy("default-deny", n, {}, [], []));
    out.push(policy("allow-dns", n, {}, undefined, [dns]));
  }

  const byName = new Map(i.services.map((s) => [s.name, s]));
  const storeByRef = new Map(i.stores.map((s) => [s.ref, s]));
  const portNum = (s: NetpolService, p: "http" | "health") => (p === "health" ? (s.ports.health ?? s.ports.http) : s.ports.http);
  const publics = i.services.filter((s) => s.exposure === "public");
  const promSel = i.prometheusSelector;

  // Ingress controller: internet → web ports; → public services' routed ports; → API server.
  const ctlEgress: Rule[] = publics.map((s) => ({ to: [nsPeer(ns.apps, s.podSelector)], ports: uniq(s.routedPorts.map((p) => tcp(portNum(s, p)))) }));
  if (i.acmeHttp01) ctlEgress.push({ to: [nsPeer(ns.apps, ACME_SOLVER)], ports: [tcp(8089)] });
  const grafana = i.monitoring?.grafana;
  if (grafana) ctlEgress.push({ to: [nsPeer(ns.monitoring, grafana.podSelector)], ports: [tcp(grafana.port)] });
  const ctlIngress: Rule[] = [{ from: ipPeers(["0.0.0.0/0"]), ports: i.ingressController.ports.map(tcp) }];
  // No admission-webhook rule: Traefik runs none (ingress-nginx's, on 8443, admitted only the API server's CIDRs).
  if (i.ingressController.metricsPort) ctlIngress.push({ from: [nsPeer(ns.monitoring, i.prometheusSelector)], ports: [tcp(i.ingressController.metricsPort)] });
  out.push(policy("ingress-controller", ns.ingress, { matchLabels: { ...i.ingressController.podSelector } }, ctlIngress, ctlEgress));
  // The controller watches the API (Ingresses, Middlewares, Services, EndpointSlices).
  out.push(policy("allow-apiserver", ns.ingress, {}, undefined, [api]));
  if (i.acmeHttp01) {
    out.push(
      policy(
        "acme-http01-solver",
        ns.apps,
        { matchLabels: ACME_SOLVER },
        [{ from: [nsPeer(ns.ingress, i.ingressController.podSelector)], ports: [tcp(8089)] }],
        undefined,
      ),
    );
  }

  // Apps: one policy per service.
  for (const s of [...i.services].sort((a, b) => a.name.localeCompare(b.name))) {
    const ingress: Rule[] = [];
    if (s.exposure === "public")
      ingress.push({ from: [nsPeer(ns.ingress, i.ingressController.podSelector)], ports: uniq(s.routedPorts.map((p) => tcp(portNum(s, p)))) });
    const callers = i.services.filter((c) => c.calls.includes(s.name));
    if (callers.length && s.exposure !== "none") ingress.push({ from: callers.map((c) => nsPeer(ns.apps, c.podSelector)), ports: [tcp(s.ports.http)] });
    if (s.ports.metrics !== undefined) ingress.push({ from: [nsPeer(ns.monitoring, promSel)], ports: [tcp(s.ports.metrics)] });

    const egress: Rule[] = [];
    for (const c of s.calls) {
      const callee = byName.get(c)!;
      if (callee.exposure !== "none") egress.push({ to: [nsPeer(ns.apps, callee.podSelector)], ports: [tcp(callee.ports.http)] });
    }
    for (const ref of s.connectsTo) {
      const store = storeByRef.get(ref)!;
      if (store.network.kind === "aws" && store.network.allowedSecurityGroupCount === 0) {
        // A managed store no security group fronts (S3): public AWS endpoints, reached through the
        // VPC's S3 gateway endpoint or NAT — internet addresses on its ports, never private ranges.
        egress.push({ to: ipPeers(["0.0.0.0/0"], PRIVATE), ports: portsOf(store.network.ports) });
      } else if (store.network.kind === "aws") {
        egress.push({ to: ipPeers(i.managedStoreCidrs), ports: portsOf(store.network.ports) });
      } else {
        for (const r of store.network.ingress.filter((r) => r.purpose === "clients")) {
          egress.push({ to: [nsPeer(store.network.namespace, r.podSelector)], ports: portsOf(r.ports) });
        }
      }
    }
    // Traces to the OTel collector (the monitoring stack's OTLP ports).
    if (i.monitoring?.otlpPorts.length) egress.push({ to: [nsPeer(ns.monitoring, i.monitoring.otlpSelector)], ports: i.monitoring.otlpPorts.map(tcp) });
    for (const e of s.egress) {
      const net = i.externalNetworks[e]!;
      egress.push({
        to: ipPeers(net.cidrs, net.cidrs.some((c) => cidrPrefix(c) === 0) ? PRIVATE : []),
        ports: net.ports.map((port) => ({ port, protocol: net.protocol })),
      });
    }
    out.push(policy(`svc-${s.name}`, ns.apps, { matchLabels: { ...s.podSelector } }, ingress, egress));
  }

  // Data: the stores' own contract, clients narrowed to the services that connect.
  for (const st of [...i.stores].sort((a, b) => a.ref.localeCompare(b.ref))) {
    const sn = st.network;
    if (sn.kind !== "kubernetes") continue;
    const clients = i.services.filter((s) => s.connectsTo.includes(st.ref));
    const base = `store-${st.ref.replace("/", "-").toLowerCase()}`;
    sn.ingress.forEach((r, k) => {
      let from: Peer[];
      if (r.purpose === "clients") {
        // Only pods of services that list this store; no other namespace, whatever the store defaulted to.
        from = clients.map((c) => nsPeer(ns.apps, { ...(r.from.podSelector ?? {}), ...c.podSelector }));
        if (from.length === 0) return;
      } else if (r.purpose === "metrics") {
        // A store's exporter port: Prometheus only (the monitoring namespace's Prometheus pods).
        from = [nsPeer(ns.monitoring, promSel)];
      } else {
        from = r.from.namespaces.map((n) => nsPeer(n, r.from.podSelector));
      }
      out.push(policy(`${base}-in-${r.purpose}-${k}`, sn.namespace, { matchLabels: { ...r.podSelector } }, [{ from, ports: portsOf(r.ports) }], undefined));
    });
    sn.egress.forEach((r, k) => {
      const to: Peer[] =
        r.to.kind === "peers"
          ? r.to.peers.namespaces.map((n) => nsPeer(n, (r.to as { peers: { podSelector?: Labels } }).peers.podSelector))
          : r.purpose === "kubernetes-api"
            ? ipPeers(i.apiServerCidrs)
            : ipPeers(i.dataExternalCidrs ?? ["0.0.0.0/0"], PRIVATE);
      out.push(policy(`${base}-out-${r.purpose}-${k}`, sn.namespace, { matchLabels: { ...r.podSelector } }, undefined, [{ to, ports: portsOf(r.ports) }]));
    });
  }

  // cert-manager: the API server calls its webhook; it talks to the API, to ACME over the internet,
  // and to the public load balancer for the HTTP-01 self-check; Prometheus scrapes 9402.
  const cm = i.certManagerNamespace;
  if (cm) {
    out.push(policy("default-deny", cm, {}, [], []));
    out.push(policy("allow-dns", cm, {}, undefined, [dns]));
    out.push(
      policy(
        "cert-manager",
        cm,
        {},
        [
          { from: ipPeers(i.apiServerCidrs), ports: [tcp(10250)] },
          { from: [nsPeer(ns.monitoring, promSel)], ports: [tcp(9402)] },
        ],
        [api, { to: ipPeers(["0.0.0.0/0"], PRIVATE), ports: [tcp(443), tcp(80)] }],
      ),
    );
  }

  // Monitoring: Prometheus scrapes metrics ports and discovers targets through the API server.
  const scrape: Rule[] = i.services
    .filter((s) => s.ports.metrics !== undefined)
    .map((s) => ({ to: [nsPeer(ns.apps, s.podSelector)], ports: [tcp(s.ports.metrics!)] }));
  if (i.ingressController.metricsPort)
    scrape.push({ to: [nsPeer(ns.ingress, i.ingressController.podSelector)], ports: [tcp(i.ingressController.metricsPort)] });
  if (cm) scrape.push({ to: [nsPeer(cm)], ports: [tcp(9402)] });
  const mon = i.monitoring;
  if (mon) {
    // Data stores admit monitoring on their own metrics rules (purpose `metrics`); the extra
    // namespaces carry no policies of ours, so Prometheus' egress is the gate there.
    scrape.push({ to: [nsPeer(ns.data)] });
    if (ns.dataPrivileged) scrape.push({ to: [nsPeer(ns.dataPrivileged)] });
    for (const n of mon.extraScrapeNamespaces) scrape.push({ to: [nsPeer(n)] });
    if (mon.nodePorts.length) scrape.push({ to: ipPeers(mon.nodeCidrs ?? i.apiServerCidrs), ports: mon.nodePorts.map(tcp) });
  }
  out.push(policy("prometheus", ns.monitoring, promSel ? { matchLabels: { ...promSel } } : {}, undefined, [...scrape, api]));
  if (mon) {
    // The stack's own components (Prometheus, Alertmanager, Grafana, Loki, collector, operator) talk among themselves.
    const self = [nsPeer(ns.monitoring)];
    out.push(policy("monitoring-internal", ns.monitoring, {}, [{ from: self }], [{ to: self }, api]));
    if (mon.otlpPorts.length) {
      out.push(
        policy(
          "otlp-from-apps",
          ns.monitoring,
          mon.otlpSelector ? { matchLabels: { ...mon.otlpSelector } } : {},
          [{ from: [nsPeer(ns.apps)], ports: mon.otlpPorts.map(tcp) }],
          undefined,
        ),
      );
    }
    if (mon.internetPorts.length)
      out.push(policy("internet-egress", ns.monitoring, {}, undefined, [{ to: ipPeers(["0.0.0.0/0"], PRIVATE), ports: mon.internetPorts.map(tcp) }]));
    for (const a of mon.apiServices ?? []) {
      out.push(
        policy(
          "apiservice-from-apiserver",
          ns.monitoring,
          { matchLabels: { ...a.podSelector } },
          [{ from: ipPeers(i.apiServerCidrs), ports: [tcp(a.port)] }],
          undefined,
        ),
      );
    }
    if (grafana)
      out.push(
        policy(
          "grafana-from-ingress",
          ns.monitoring,
          { matchLabels: { ...grafana.podSelector } },
          [{ from: [nsPeer(ns.ingress, i.ingressController.podSelector)], ports: [tcp(grafana.port)] }],
          undefined,
        ),
      );
  }
  return out;
}
