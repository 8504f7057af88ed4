/**
 * The Kubernetes platform per tier, through the harness: network → cluster → services composers
 * on specs from loadSpec. Key fields, restricted pods, probes, HPA/PDB per tier, TLS on every
 * public Ingress, metrics never routed, no default providers (the harness fails on those).
 */
import { describe, expect, it } from "vitest";
import { CHART_PINS } from "../../components/charts";
import { runProgram } from "../../tools/harness/run";
import type { Inventory } from "../../tools/harness/inventory";
import { TRAEFIK_BLUEPRINT, k8s, k8sProgram, ofType, podSpecOf, specFor } from "./fixtures";

const RESTRICTED_NS = new Set(["apps", "data"]);

function assertRestrictedEverywhere(inv: Inventory) {
  const workloads = [...k8s(inv, "Deployment"), ...k8s(inv, "StatefulSet")].filter((r) => RESTRICTED_NS.has((r.inputs as any).metadata.namespace));
  expect(workloads.length).toBeGreaterThan(0);
  for (const w of workloads) {
    const pod = podSpecOf(w);
    expect(pod.securityContext.runAsNonRoot, w.name).toBe(true);
    expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    for (const c of pod.containers) {
      expect(c.securityContext, `${w.name}/${c.name}`).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.livenessProbe && c.readinessProbe && c.startupProbe, `${w.name} probes`).toBeTruthy();
      expect(c.resources.requests && c.resources.limits).toBeTruthy();
    }
    expect(pod.hostNetwork ?? false).toBe(false);
  }
}

function assertIngressSafe(inv: Inventory) {
  const ings = k8s(inv, "Ingress");
  expect(ings.length).toBeGreaterThan(0);
  for (const i of ings) {
    const spec = (i.inputs as any).spec;
    expect(spec.tls?.length, `${i.name} has TLS`).toBeGreaterThan(0);
    const tlsHosts = new Set(spec.tls.flatMap((t: any) => t.hosts));
    for (const rule of spec.rules) {
      expect(tlsHosts.has(rule.host), `${i.name} ${rule.host} covered by TLS`).toBe(true);
      for (const p of rule.http.paths) expect(p.backend.service.port.name).not.toBe("metrics");
    }
  }
}

describe("local tier (existing cluster, rendered manifests)", () => {
  it("renders namespaces, policies and the service; no Helm, no AWS, nothing fetched", async () => {
    const spec = specFor("local");
    const inv = await runProgram(k8sProgram(spec), { stack: "local" });
    expect(inv.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    expect(ofType(inv, "kubernetes:helm.sh/v3:Release")).toEqual([]);
    expect(k8s(inv, "ClusterIssuer")).toEqual([]);
    const prov = ofType(inv, "pulumi:providers:kubernetes");
    expect(prov).toHaveLength(1);
    expect((prov[0]!.inputs as any).renderYamlToDirectory).toMatch(/k8s-render-/);
    const ns = k8s(inv, "Namespace").map((r) => (r.inputs as any).metadata);
    expect(ns.map((m) => m.name).sort()).toEqual(["apps", "data", "ingress", "monitoring"]);
    for (const m of ns.filter((m) => RESTRICTED_NS.has(m.name))) expect(m.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const d = k8s(inv, "Deployment")[0]!;
    expect((d.inputs as any).spec.replicas).toBe(1);
    expect(k8s(inv, "HorizontalPodAutoscaler")).toEqual([]);
    expect(k8s(inv, "PodDisruptionBudget")).toEqual([]);
    expect(k8s(inv, "ServiceMonitor")).toEqual([]);
    assertRestrictedEverywhere(inv);
    assertIngressSafe(inv);
    const ing = k8s(inv, "Ingress")[0]!;
    expect((ing.inputs as any).metadata.annotations["cert-manager.io/cluster-issuer"]).toBeUndefined();
    expect(k8s(inv, "NetworkPolicy").length).toBeGreaterThanOrEqual(10);
    // Every k8s resource uses the explicit provider.
    for (const r of inv.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")))
      expect(r.provider).toMatch(/pulumi:providers:kubernetes::local-k8s-k8s::/);
  });
});

describe("local tier steered by scripts/local.sh's environment", () => {
  it("PLATFORM_RENDER_DIR sets the render directory (no Helm); PLATFORM_KUBECONFIG deploys instead, with only the ingress controller's release", async () => {
    const spec = specFor("local");
    const rendered = await runProgram(k8sProgram(spec, { PLATFORM_RENDER_DIR: "/abs/rendered/local" }), { stack: "local" });
    expect((ofType(rendered, "pulumi:providers:kubernetes")[0]!.inputs as any).renderYamlToDirectory).toBe("/abs/rendered/local");
    const deployed = await runProgram(k8sProgram(spec, { PLATFORM_KUBECONFIG: "/home/dev/.kube/kind.yaml", PLATFORM_RENDER_DIR: "/abs/rendered/local" }), {
      stack: "local",
    });
    const prov = ofType(deployed, "pulumi:providers:kubernetes")[0]!;
    expect((prov.inputs as any).kubeconfig).toBe("/home/dev/.kube/kind.yaml");
    expect((prov.inputs as any).renderYamlToDirectory).toBeUndefined();
    expect(ofType(rendered, "kubernetes:helm.sh/v3:Release")).toEqual([]);
    const releases = ofType(deployed, "kubernetes:helm.sh/v3:Release").map((r) => (r.inputs as any).chart);
    expect(releases).toEqual(["traefik"]);
  });
});

for (const tier of ["staging", "prod"] as const) {
  describe(`${tier} tier (EKS)`, () => {
    const spec = specFor(tier);
    let inv: Inventory;
    it("registers VPC, EKS with KMS + private endpoint, OIDC, node groups, EBS CSI, autoscaler role", async () => {
      inv = await runProgram(k8sProgram(spec), { stack: tier });
      expect(ofType(inv, "aws:ec2/subnet:Subnet")).toHaveLength(6);
      expect(ofType(inv, "aws:ec2/natGateway:NatGateway")).toHaveLength(tier === "prod" ? 3 : 1);
      const publicSubnets = ofType(inv, "aws:ec2/subnet:Subnet").filter((s) => (s.inputs as any).tags["platform:tier"] === "public");
      expect(publicSubnets.every((s) => (s.inputs as any).mapPublicIpOnLaunch === false && (s.inputs as any).tags["kubernetes.io/role/elb"] === "1")).toBe(
        true,
      );
      const [eks] = ofType(inv, "aws:eks/cluster:Cluster");
      const e = eks!.inputs as any;
      expect(e.encryptionConfig.resources).toEqual(["secrets"]);
      expect(e.encryptionConfig.provider.keyArn).toMatch(/^arn:aws:kms:/);
      expect(e.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
      expect(e.vpcConfig.publicAccessCidrs).toBeUndefined();
      expect(eks!.options.protect).toBe(tier === "prod");
      expect(ofType(inv, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toHaveLength(1);
      const groups = ofType(inv, "aws:eks/nodeGroup:NodeGroup").map((g) => g.inputs as any);
      // Postgres is managed (RDS) here: no in-cluster data, so no `data` node group.
      expect(groups.map((g) => g.labels["platform.io/workload-class"]).sort()).toEqual(["general"]);
      const general = groups.find((g) => g.labels["platform.io/workload-class"] === "general")!;
      expect(general.scalingConfig).toEqual(tier === "prod" ? { minSize: 3, desiredSize: 3, maxSize: 12 } : { minSize: 2, desiredSize: 2, maxSize: 6 });
      const lts = ofType(inv, "aws:ec2/launchTemplate:LaunchTemplate").map((l) => l.inputs as any);
      expect(lts.every((l) => l.metadataOptions.httpTokens === "required" && l.metadataOptions.httpPutResponseHopLimit === 1)).toBe(true);
      const addons = ofType(inv, "aws:eks/addon:Addon");
      // Without the CNI's network policy agent EKS would not enforce a single NetworkPolicy.
      const cni = addons.find((a) => (a.inputs as any).addonName === "vpc-cni")!;
      expect(JSON.parse((cni.inputs as any).configurationValues)).toEqual({ enableNetworkPolicy: "true" });
      const ebs = addons.find((a) => (a.inputs as any).addonName === "aws-ebs-csi-driver");
      expect((ebs!.inputs as any).addonName).toBe("aws-ebs-csi-driver");
      expect((ebs!.inputs as any).serviceAccountRoleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
    });

    it("kubeconfig only as a secret; the k8s provider is built from it", () => {
      expect(inv.secretOutputPaths).toContain("kubeconfig");
      const prov = ofType(inv, "pulumi:providers:kubernetes");
      expect(prov).toHaveLength(1);
      expect(prov[0]!.secretPaths).toContain("kubeconfig");
      expect(JSON.parse((prov[0]!.inputs as any).kubeconfig).users[0].user.exec.command).toBe("aws");
    });

    it("pinned Helm add-ons with reviewed values and a Let's Encrypt ClusterIssuer", () => {
      const rel = ofType(inv, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs as any);
      // The Prometheus Operator CRDs first (the add-ons render ServiceMonitors), then the add-ons.
      expect(rel.map((r) => r.chart).sort()).toEqual(["cert-manager", "cluster-autoscaler", "metrics-server", "prometheus-operator-crds", "traefik"]);
      for (const r of rel) {
        const pinned = Object.values(CHART_PINS).find((c) => c.chart === r.chart)!;
        expect(r.version).toBe(pinned.version);
        expect(r.repositoryOpts.repo).toBe(pinned.repo);
        expect(r.atomic).toBe(true);
      }
      // HTTP→HTTPS on the web entry point, TLS 1.2+ with strict SNI, the client IP kept (rate limits per IP);
      // HSTS is the services' headers Middleware (asserted with the service below).
      const traefik = rel.find((r) => r.chart === "traefik")!.values;
      expect(traefik.ports.web.http.redirections.entryPoint).toEqual({ to: "websecure", scheme: "https", permanent: true });
      expect(traefik.tlsOptions.default).toEqual({ minVersion: "VersionTLS12", sniStrict: true });
      expect(traefik.service.spec.externalTrafficPolicy).toBe("Local");
      const hsts = k8s(inv, "Middleware")
        .map((m) => (m.inputs as any).spec.headers)
        .filter(Boolean);
      expect(hsts.length).toBeGreaterThan(0);
      for (const h of hsts) expect(h).toMatchObject({ stsSeconds: 31_536_000, stsIncludeSubdomains: true, forceSTSHeader: true });
      const [issuer] = k8s(inv, "ClusterIssuer");
      expect((issuer!.inputs as any).spec.acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
    });

    it("the service: replicas, HPA and PDB from the tier, restricted, TLS ingress, ServiceMonitor, secrets as secrets", () => {
      const [hpa] = k8s(inv, "HorizontalPodAutoscaler");
      expect((hpa!.inputs as any).spec).toMatchObject(tier === "prod" ? { minReplicas: 3, maxReplicas: 20 } : { minReplicas: 2, maxReplicas: 6 });
      expect(k8s(inv, "PodDisruptionBudget")).toHaveLength(1);
      const d = k8s(inv, "Deployment")[0]!;
      const c = podSpecOf(d).containers[0];
      expect(c.resources.limits).toEqual(tier === "prod" ? { cpu: "1000m", memory: "2Gi" } : { cpu: "500m", memory: "512Mi" });
      // Traces: the collector endpoint as OTEL env, and the service's own policy lets OTLP out.
      expect(c.env).toEqual(
        expect.arrayContaining([
          { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-collector.monitoring.svc.cluster.local:4317" },
          { name: "OTEL_SERVICE_NAME", value: "api" },
        ]),
      );
      const own = k8s(inv, "NetworkPolicy")
        .map((r) => r.inputs as any)
        .find((p) => p.metadata.name === "svc-api")!;
      expect(own.spec.egress.some((r: any) => r.ports.some((p: any) => p.port === 4317))).toBe(true);
      assertRestrictedEverywhere(inv);
      assertIngressSafe(inv);
      expect(k8s(inv, "ServiceMonitor")).toHaveLength(1);
      const [secret] = k8s(inv, "Secret");
      expect(secret!.secretPaths).toContain("stringData");
      expect(Object.keys((secret!.inputs as any).stringData).sort()).toEqual(["DATABASE_URL", "MAILGUN_API_KEY"]);
      expect(inv.outputs.unresolved).toEqual([]);
      expect(inv.outputs.hosts).toEqual({ api: ["api.example.com"] });
    });

    it("segmentation: default deny per namespace, managed Postgres by VPC CIDR on 5432, Mailgun on 443 only", () => {
      const pols = k8s(inv, "NetworkPolicy").map((r) => r.inputs as any);
      for (const ns of ["ingress", "apps", "data", "monitoring"])
        expect(pols.some((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny")).toBe(true);
      const api = pols.find((p) => p.metadata.name === "svc-api")!;
      expect(api.spec.egress).toEqual([
        { to: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector" } },
            },
          ],
          ports: [
            { port: 4317, protocol: "TCP" },
            { port: 4318, protocol: "TCP" },
          ],
        },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }], ports: [{ port: 443, protocol: "TCP" }] },
      ]);
    });
  });
}

describe("Traefik blueprint with blue-green, canary and a queue-length HPA (prod)", () => {
  it("Traefik release, Middlewares, colour Services, custom Pods metric", async () => {
    const inv = await runProgram(k8sProgram(specFor("prod", TRAEFIK_BLUEPRINT)), { stack: "prod" });
    const rel = ofType(inv, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs as any);
    expect(rel.map((r) => r.chart)).toContain("traefik");
    // In-cluster Redis: a `data` node group besides `general`.
    expect(
      ofType(inv, "aws:eks/nodeGroup:NodeGroup")
        .map((g) => (g.inputs as any).labels["platform.io/workload-class"])
        .sort(),
    ).toEqual(["data", "general"]);
    const traefik = rel.find((r) => r.chart === "traefik")!.values;
    // Chart 41 (components/charts.ts): the redirect is `ports.web.http.redirections.entryPoint`, logs are `log` / `accessLog`.
    expect(traefik.ports.web.http.redirections.entryPoint).toEqual({ to: "websecure", scheme: "https", permanent: true });
    expect(traefik.ports.web).not.toHaveProperty("redirectTo");
    expect(traefik).not.toHaveProperty("logs");
    expect(traefik.accessLog).toEqual({ enabled: true, format: "json" });
    expect(
      k8s(inv, "Middleware")
        .map((m) => (m.inputs as any).metadata.name)
        .sort(),
    ).toEqual(["api-bodylimit-api", "api-headers", "api-ratelimit-api", "web-bodylimit-web", "web-headers", "web-ratelimit-web"]);
    expect(
      k8s(inv, "Deployment")
        .map((d) => (d.inputs as any).metadata.name)
        .sort(),
    ).toEqual(["api", "api-canary", "web-blue", "web-green", "worker"]);
    const worker = k8s(inv, "HorizontalPodAutoscaler").find((h) => (h.inputs as any).metadata.name === "worker")!;
    expect((worker.inputs as any).spec.metrics[1].pods.metric.name).toBe("queue_length");
    assertRestrictedEverywhere(inv);
    assertIngressSafe(inv);
    const pols = k8s(inv, "NetworkPolicy").map((r) => r.inputs as any);
    const redis = pols.find((p) => p.metadata.name === "store-redis-queue-in-clients-0")!;
    expect(redis.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels["app.kubernetes.io/name"]).sort()).toEqual(["api", "worker"]);
  });
});

describe("spec validation stops bad services before anything is registered", () => {
  it("rejects a public route without TLS and a routed metrics port", () => {
    const bad = structuredClone(TRAEFIK_BLUEPRINT) as any;
    bad.services[0].routes = [
      { host: "@", group: "web", tls: false },
      { host: "m", group: "web", port: "metrics" },
    ];
    expect(() => specFor("prod", bad)).toThrow(/tls[\s\S]*metrics port is never routed/);
  });
});

describe("dev tier on Kubernetes (hosting override)", () => {
  it("one replica, no HPA/PDB, Let's Encrypt production CA (browsers call dev's hosts), small node group, single NAT", async () => {
    const inv = await runProgram(k8sProgram(specFor("dev")), { stack: "dev" });
    expect(ofType(inv, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
    const [g] = ofType(inv, "aws:eks/nodeGroup:NodeGroup").map((r) => r.inputs as any);
    expect(g.scalingConfig).toEqual({ minSize: 1, desiredSize: 1, maxSize: 3 });
    expect(g.instanceTypes).toEqual(["t3.medium"]);
    expect(k8s(inv, "HorizontalPodAutoscaler")).toEqual([]);
    expect(k8s(inv, "PodDisruptionBudget")).toEqual([]);
    const d = k8s(inv, "Deployment")[0]!;
    expect((d.inputs as any).spec.replicas).toBe(1);
    expect(podSpecOf(d).topologySpreadConstraints).toBeUndefined();
    expect((k8s(inv, "ClusterIssuer")[0]!.inputs as any).spec.acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
    const traefik = ofType(inv, "kubernetes:helm.sh/v3:Release")
      .map((r) => r.inputs as any)
      .find((r) => r.chart === "traefik")!;
    expect(traefik.values.deployment.replicas).toBe(1);
    assertRestrictedEverywhere(inv);
    assertIngressSafe(inv);
  });
});

describe("a service serving its own SPA, no edge (axum-like), staging", () => {
  it("CORS `self` is the service's own origin; the Ingress carries the isolation headers", async () => {
    const bp = {
      name: "axum-test",
      description: "Rust API serving the SPA",
      hosting: { kubernetes: { ingressController: "traefik" } },
      services: [
        {
          name: "app",
          image: "ghcr.io/example/req1:1.0.0",
          ports: { http: 8080, metrics: 9100 },
          probes: { liveness: { path: "/health/live" }, readiness: { path: "/health/ready" } },
          exposure: "public",
          servesWebApp: true,
          routes: [{ host: "app" }],
          cors: { allowedOrigins: ["self"] },
          autoscaling: { cpuPercent: 70 },
          connectsTo: ["postgres/main"],
        },
      ],
      dataStores: { postgres: [{ name: "main", readReplicas: 0 }] },
    };
    const inv = await runProgram(k8sProgram(specFor("staging", bp)), { stack: "staging" });
    const [ing] = k8s(inv, "Ingress");
    const ann = (ing!.inputs as any).metadata.annotations;
    expect(ann["traefik.ingress.kubernetes.io/router.middlewares"]).toBe("apps-app-headers@kubernetescrd,apps-app-bodylimit-default@kubernetescrd");
    const mw = k8s(inv, "Middleware").find((c) => (c.inputs as any).metadata.name === "app-headers")!;
    expect((mw.inputs as any).spec.headers.accessControlAllowOriginList).toEqual(["https://app.example.com"]);
    expect((mw.inputs as any).spec.headers.customResponseHeaders["Cross-Origin-Embedder-Policy"]).toBe("require-corp");
    assertIngressSafe(inv);
  });
});
