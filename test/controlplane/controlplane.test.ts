// The embedded control plane (tools/cluster/controlplane.ts) behaves like a real cluster,
// asserted through the API. Run inside a private network namespace:
//   cd /work/main && unshare -n bash -c 'ip link set lo up; npx vitest run test/controlplane'
// Needs the binaries from `npm run engine` (kube-apiserver, kube-controller-manager,
// kube-scheduler, kubectl, kwok in .engine/bin or $PLATFORM_CLUSTER_BIN) and etcd; without
// them every test FAILS (never skips).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { type KubeClient, waitFor } from "../../tools/cluster/kube";
import { LB_DOMAIN, ORIGINAL_CLIENT_CONFIG, PROVISIONED_BY_STANDIN } from "../../tools/cluster/standins";
import { kubectlAccess } from "../../tools/conformance/cluster-checks";
import { OPERATOR_POD_SHAPES, operatorPodProblems, probePod } from "../../tools/conformance/operator-pods";

let cp: ControlPlane;
let k: KubeClient;
let dir: string;
const progress: string[] = [];

const restrictedContainer = {
  name: "app",
  image: "registry.example.invalid/app:1.0",
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 10001,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

function deployment(name: string, replicas: number, podSpec: Record<string, unknown>): unknown {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  };
}

async function create(path: string, body: unknown): Promise<any> {
  const r = await k.create(path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

async function get(path: string): Promise<any> {
  const r = await k.get(path);
  return r.status === 200 ? r.body : undefined;
}

const cond = (obj: any, type: string) => (obj?.status?.conditions ?? []).find((c: any) => c.type === type);

// A missing binary or a failed start is reported by EVERY test (as a failure, never a skip).
let setupError: Error | undefined;
function need(): void {
  if (setupError) throw setupError;
}

beforeAll(async () => {
  const missing = missingBinaries();
  if (missing.length) {
    setupError = new Error(
      `control plane binaries missing (bin dir ${defaultBinDir()}):\n  ${missing.join("\n  ")}\n` +
        "build them with `npm run engine` (never built by this test)",
    );
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "controlplane-test-"));
  try {
    cp = await startControlPlane({ dir, log: (l) => progress.push(l) });
    k = cp.client;
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  // CONTROLPLANE_KEEP_DIR=1 keeps etcd data and logs for a look afterwards.
  if (dir && !process.env.CONTROLPLANE_KEEP_DIR) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.log(`control plane directory kept: ${dir}`);
}, 60_000);

describe("embedded control plane", () => {
  it("runs every component, each listening on 127.0.0.1 only, and reports start-up", async () => {
    need();
    expect(Object.keys(cp.pids).sort()).toEqual(["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]);
    for (const pid of Object.values(cp.pids)) expect(() => process.kill(pid, 0)).not.toThrow();
    // In this private namespace every TCP listener is ours: none may be on a wildcard address.
    const listeners: string[] = [];
    for (const f of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
      for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[3] === "0A") listeners.push(cols[1]!); // LISTEN
      }
    }
    expect(listeners.length).toBeGreaterThanOrEqual(7); // etcd x2, apiserver, kcm, scheduler, kwok, stand-in
    const wildcard = listeners.filter((a) => /^0{8}:|^0{32}:/.test(a));
    expect(wildcard).toEqual([]);
    for (const a of listeners) expect(a.startsWith("0100007F:") || a.startsWith("0000000000000000FFFF00000100007F:")).toBe(true);
    expect(progress.some((l) => l.includes("control plane ready in"))).toBe(true);
    console.log(`control plane start-up: ${(cp.startupMs / 1000).toFixed(1)}s`);
    const nodes = await get("/api/v1/nodes");
    expect(nodes.items.map((n: any) => n.metadata.labels["topology.kubernetes.io/zone"]).sort()).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const r = await cp.kubectl(["get", "nodes", "-o", "name"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(3);
  });

  it("Pod Security admission rejects a violating pod in a restricted namespace; a compliant Deployment becomes Ready", async () => {
    need();
    await namespace("psa", { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" });
    await waitFor("default ServiceAccount in psa", () => get("/api/v1/namespaces/psa/serviceaccounts/default"), 30_000);
    const bad = await k.create(
      "/apis/apps/v1/namespaces/psa/deployments",
      deployment("bad", 1, { containers: [{ name: "app", image: "registry.example.invalid/app:1.0" }] }),
    );
    expect(bad.status).toBe(201); // workload objects only warn...
    expect(bad.warnings.join("\n")).toMatch(/would violate PodSecurity \\?"restricted:latest\\?"/);
    // ...their pods are rejected: the ReplicaSet reports the admission error.
    const rs = await waitFor(
      "ReplicaSet of bad to report ReplicaFailure",
      async () => {
        const list = await get("/apis/apps/v1/namespaces/psa/replicasets?labelSelector=app%3Dbad");
        const c = list?.items?.[0] && cond(list.items[0], "ReplicaFailure");
        return c?.status === "True" ? c : undefined;
      },
      30_000,
    );
    expect(rs.message).toMatch(/violates PodSecurity "restricted:latest"/);
    const direct = await k.create("/api/v1/namespaces/psa/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "bad-pod" },
      spec: { containers: [{ name: "app", image: "registry.example.invalid/app:1.0", securityContext: { privileged: true } }] },
    });
    expect(direct.status).toBe(403);
    expect(direct.body.message).toMatch(/violates PodSecurity "restricted:latest": privileged/);

    await create("/apis/apps/v1/namespaces/psa/deployments", deployment("good", 1, { containers: [restrictedContainer] }));
    const d = await waitFor(
      "Deployment good Available",
      async () => {
        const o = await get("/apis/apps/v1/namespaces/psa/deployments/good");
        return cond(o, "Available")?.status === "True" && o.status.readyReplicas === 1 ? o : undefined;
      },
      30_000,
    );
    expect(d.status.availableReplicas).toBe(1);
  });

  it("a 3-replica Deployment becomes Available, spread over the fake nodes; a deleted pod is replaced and goes away", async () => {
    need();
    await namespace("apps");
    await waitFor("default ServiceAccount in apps", () => get("/api/v1/namespaces/apps/serviceaccounts/default"), 30_000);
    await create(
      "/apis/apps/v1/namespaces/apps/deployments",
      deployment("web", 3, {
        containers: [{ ...restrictedContainer, resources: { requests: { cpu: "250m", memory: "256Mi" } } }],
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } },
        ],
      }),
    );
    await waitFor(
      "Deployment web Available with 3 ready",
      async () => {
        const o = await get("/apis/apps/v1/namespaces/apps/deployments/web");
        return cond(o, "Available")?.status === "True" && o.status.readyReplicas === 3;
      },
      45_000,
    );
    const pods = (await get("/api/v1/namespaces/apps/pods?labelSelector=app%3Dweb")).items;
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.status.phase).toBe("Running");
      expect(cond(p, "Ready")?.status).toBe("True");
      expect(cond(p, "PodScheduled")?.status).toBe("True"); // bound by the real scheduler
      // The ServiceAccount admission plugin mounted a projected token volume.
      expect(p.spec.volumes.some((v: any) => v.projected?.sources?.some((s: any) => s.serviceAccountToken))).toBe(true);
    }
    expect(new Set(pods.map((p: any) => p.spec.nodeName)).size).toBe(3);

    const victim = pods[0].metadata.name;
    const del = await k.delete(`/api/v1/namespaces/apps/pods/${victim}`);
    expect(del.status).toBe(200);
    await waitFor("deleted pod gone", async () => (await k.get(`/api/v1/namespaces/apps/pods/${victim}`)).status === 404, 30_000);
    await waitFor(
      "replacement Ready",
      async () => {
        const o = await get("/apis/apps/v1/namespaces/apps/deployments/web");
        return o.status.readyReplicas === 3 && o.status.updatedReplicas === 3;
      },
      30_000,
    );
  });

  it("a Job completes", async () => {
    need();
    await namespace("batch");
    await waitFor("default ServiceAccount in batch", () => get("/api/v1/namespaces/batch/serviceaccounts/default"), 30_000);
    await create("/apis/batch/v1/namespaces/batch/jobs", {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "migrate" },
      spec: { completions: 2, parallelism: 2, backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [restrictedContainer] } } },
    });
    const job = await waitFor(
      "Job Complete",
      async () => {
        const o = await get("/apis/batch/v1/namespaces/batch/jobs/migrate");
        return cond(o, "Complete")?.status === "True" ? o : undefined;
      },
      45_000,
    );
    expect(job.status.succeeded).toBe(2);
  });

  it("a CRD becomes Established and a custom resource violating its schema is rejected", async () => {
    need();
    await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.standin.example" },
      spec: {
        group: "standin.example",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", required: ["size"], properties: { size: { type: "integer", minimum: 1 } } } },
              },
            },
          },
        ],
      },
    });
    await waitFor(
      "CRD Established",
      async () => cond(await get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.standin.example"), "Established")?.status === "True",
      30_000,
    );
    const path = "/apis/standin.example/v1/namespaces/default/widgets";
    const bad = await waitFor(
      "widgets served",
      async () => {
        const r = await k.create(path, { apiVersion: "standin.example/v1", kind: "Widget", metadata: { name: "bad" }, spec: { size: "three" } });
        return r.status === 404 ? undefined : r; // discovery may lag Established by a moment
      },
      15_000,
    );
    expect(bad.status).toBe(422);
    expect(bad.body.message).toMatch(/spec\.size/);
    const zero = await k.create(path, { apiVersion: "standin.example/v1", kind: "Widget", metadata: { name: "zero" }, spec: { size: 0 } });
    expect(zero.status).toBe(422);
    const ok = await k.create(path, { apiVersion: "standin.example/v1", kind: "Widget", metadata: { name: "ok" }, spec: { size: 3 } });
    expect(ok.status).toBe(201);
  });

  it("the pods an operator would create for a custom resource are dry-run through Pod Security admission: ScyllaDB (root + CAP_SYS_NICE) is refused in a restricted namespace, admitted in a privileged one", async () => {
    need();
    // A stand-in CRD of the real group/kind (the check reads custom resources by kind, not schema).
    await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "scyllaclusters.scylla.scylladb.com" },
      spec: {
        group: "scylla.scylladb.com",
        scope: "Namespaced",
        names: { plural: "scyllaclusters", singular: "scyllacluster", kind: "ScyllaCluster" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    });
    await waitFor(
      "ScyllaCluster CRD Established",
      async () =>
        cond(await get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scyllaclusters.scylla.scylladb.com"), "Established")?.status === "True",
      30_000,
    );
    const pss = (level: string) => ({ "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": "latest" });
    await namespace("scylla-restricted", pss("restricted"));
    await namespace("scylla-privileged", pss("privileged"));
    for (const ns of ["scylla-restricted", "scylla-privileged"]) {
      await waitFor(
        `ScyllaCluster in ${ns}`,
        async () =>
          (
            await k.create(`/apis/scylla.scylladb.com/v1/namespaces/${ns}/scyllaclusters`, {
              apiVersion: "scylla.scylladb.com/v1",
              kind: "ScyllaCluster",
              metadata: { name: "chain" },
              spec: {},
            })
          ).status === 201 || undefined,
        15_000,
      );
    }
    const access = kubectlAccess(join(cp.bin, "kubectl"), cp.kubeconfigPath);
    const r = await operatorPodProblems(
      access,
      OPERATOR_POD_SHAPES.filter((s) => s.kind === "scylla.scylladb.com/ScyllaCluster"),
    );
    expect(r.checked.sort()).toEqual(["ScyllaCluster scylla-privileged/chain", "ScyllaCluster scylla-restricted/chain"]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.object).toBe("ScyllaCluster scylla-restricted/chain");
    expect(r.problems[0]!.message).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(r.problems[0]!.message).toMatch(/runAsUser=0|runAsNonRoot/);
    expect(r.problems[0]!.message).toMatch(/scylla-operator v1\.21\.1/);
    expect(r.problems[0]!.fix).toMatch(/namespace labelled for the level it needs/);
    // CloudNativePG's instance and pooler pods meet restricted (the data namespace's level).
    for (const kind of ["postgresql.cnpg.io/Cluster", "postgresql.cnpg.io/Pooler"]) {
      const shape = OPERATOR_POD_SHAPES.find((s) => s.kind === kind)!;
      const dry = await access.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], {
        input: JSON.stringify(probePod(shape, "scylla-restricted", "pg")),
      });
      expect(dry.stderr, kind).toBe("");
      expect(dry.code).toBe(0);
    }
    // A dry run creates nothing.
    expect((await get("/api/v1/namespaces/scylla-privileged/pods")).items).toEqual([]);
  });

  it("the controller-manager works: default ServiceAccount, kube-root-ca.crt, token secrets; tokens authenticate", async () => {
    need();
    await namespace("sa");
    const cm = await waitFor("kube-root-ca.crt in sa", () => get("/api/v1/namespaces/sa/configmaps/kube-root-ca.crt"), 30_000);
    expect(cm.data["ca.crt"].trim()).toBe(cp.caPem.trim());
    await waitFor("default ServiceAccount in sa", () => get("/api/v1/namespaces/sa/serviceaccounts/default"), 30_000);
    await create("/api/v1/namespaces/sa/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot" } });
    await create("/api/v1/namespaces/sa/secrets", {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: { name: "robot-token", annotations: { "kubernetes.io/service-account.name": "robot" } },
    });
    const secret = await waitFor(
      "token controller fills robot-token",
      async () => {
        const s = await get("/api/v1/namespaces/sa/secrets/robot-token");
        return s?.data?.token ? s : undefined;
      },
      30_000,
    );
    expect(Buffer.from(secret.data["ca.crt"], "base64").toString().trim()).toBe(cp.caPem.trim());
    const tr = await create("/api/v1/namespaces/sa/serviceaccounts/robot/token", { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} });
    const review = await create("/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token: tr.status.token },
    });
    expect(review.status.authenticated).toBe(true);
    expect(review.status.user.username).toBe("system:serviceaccount:sa:robot");
    const legacy = await create("/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token: Buffer.from(secret.data.token, "base64").toString() },
    });
    expect(legacy.status.authenticated).toBe(true);
  });

  it("RBAC denies a user without rights and allows what a RoleBinding grants", async () => {
    need();
    await waitFor("ServiceAccount robot", () => get("/api/v1/namespaces/sa/serviceaccounts/robot"), 10_000);
    const tr = await create("/api/v1/namespaces/sa/serviceaccounts/robot/token", { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} });
    const robot = k.with({ token: tr.status.token });
    const denied = await robot.get("/api/v1/namespaces/kube-system/secrets");
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/system:serviceaccount:sa:robot.*cannot list resource "secrets"/);
    const jane = k.with({ headers: { "Impersonate-User": "jane" } });
    expect((await jane.get("/api/v1/namespaces/sa/configmaps")).status).toBe(403);

    await create("/apis/rbac.authorization.k8s.io/v1/namespaces/sa/roles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "cm-reader" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
    });
    await create("/apis/rbac.authorization.k8s.io/v1/namespaces/sa/rolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "cm-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
      subjects: [
        { kind: "User", name: "jane" },
        { kind: "ServiceAccount", name: "robot", namespace: "sa" },
      ],
    });
    await waitFor("RoleBinding effective", async () => (await jane.get("/api/v1/namespaces/sa/configmaps")).status === 200, 10_000);
    expect((await robot.get("/api/v1/namespaces/sa/configmaps")).status).toBe(200);
    expect((await robot.get("/api/v1/namespaces/sa/secrets")).status).toBe(403);
  });

  it("LoadBalancer Services and Ingresses get a non-routable hostname", async () => {
    need();
    await namespace("net");
    await create("/api/v1/namespaces/net/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "edge" },
      spec: { type: "LoadBalancer", selector: { app: "edge" }, ports: [{ port: 443, targetPort: 8443 }] },
    });
    const svc = await waitFor(
      "LoadBalancer ingress",
      async () => {
        const s = await get("/api/v1/namespaces/net/services/edge");
        return s?.status?.loadBalancer?.ingress?.length ? s : undefined;
      },
      15_000,
    );
    expect(svc.status.loadBalancer.ingress).toHaveLength(1);
    expect(svc.status.loadBalancer.ingress[0].hostname).toMatch(new RegExp(`\\.${LB_DOMAIN.replace(/\./g, "\\.")}$`));
    expect(svc.status.loadBalancer.ingress[0].ip).toBeUndefined();
    expect(svc.spec.ports[0].nodePort).toBeGreaterThan(0);
    await create("/apis/networking.k8s.io/v1/namespaces/net/ingresses", {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "web" },
      spec: {
        rules: [
          { host: "app.example.invalid", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "edge", port: { number: 443 } } } }] } },
        ],
      },
    });
    const ing = await waitFor(
      "Ingress status",
      async () => {
        const i = await get("/apis/networking.k8s.io/v1/namespaces/net/ingresses/web");
        return i?.status?.loadBalancer?.ingress?.length ? i : undefined;
      },
      15_000,
    );
    expect(ing.status.loadBalancer.ingress[0].hostname.endsWith(`.${LB_DOMAIN}`)).toBe(true);
  });

  it("volume claims bind: a StatefulSet's volumeClaimTemplate (WaitForFirstConsumer), an Immediate class; an unknown class stays Pending", async () => {
    need();
    await namespace("data");
    await waitFor("default ServiceAccount in data", () => get("/api/v1/namespaces/data/serviceaccounts/default"), 30_000);
    await create("/api/v1/namespaces/data/persistentvolumeclaims", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "typo" },
      spec: { storageClassName: "does-not-exist", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    });
    await create("/apis/storage.k8s.io/v1/storageclasses", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "fast-immediate" },
      provisioner: "ebs.csi.aws.com",
      reclaimPolicy: "Retain",
      volumeBindingMode: "Immediate",
    });
    await create("/api/v1/namespaces/data/persistentvolumeclaims", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "scratch" },
      spec: { storageClassName: "fast-immediate", accessModes: ["ReadWriteMany"], resources: { requests: { storage: "5Gi" } } },
    });
    await create("/apis/apps/v1/namespaces/data/statefulsets", {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db" },
      spec: {
        replicas: 2,
        serviceName: "db",
        selector: { matchLabels: { app: "db" } },
        template: {
          metadata: { labels: { app: "db" } },
          spec: { containers: [{ ...restrictedContainer, volumeMounts: [{ name: "data", mountPath: "/data" }] }] },
        },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } }],
      },
    });
    await waitFor(
      "StatefulSet db Ready",
      async () => {
        const s = await get("/apis/apps/v1/namespaces/data/statefulsets/db");
        return s?.status?.readyReplicas === 2;
      },
      60_000,
    );
    for (const i of [0, 1]) {
      const pvc = await get(`/api/v1/namespaces/data/persistentvolumeclaims/data-db-${i}`);
      expect(pvc.status.phase).toBe("Bound");
      expect(pvc.spec.storageClassName).toBe("standard"); // the default class, set by DefaultStorageClass admission
      const node = pvc.metadata.annotations["volume.kubernetes.io/selected-node"];
      expect(node).toBeTruthy(); // WaitForFirstConsumer: the scheduler chose the node first
      const pv = await get(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
      expect(pv.metadata.annotations[PROVISIONED_BY_STANDIN]).toBe("true");
      expect(pv.spec.capacity.storage).toBe("10Gi");
      expect(pv.spec.claimRef.name).toBe(`data-db-${i}`);
      const pod = await get(`/api/v1/namespaces/data/pods/db-${i}`);
      expect(pod.spec.nodeName).toBe(node);
      const nodeObj = await get(`/api/v1/nodes/${node}`);
      expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual([nodeObj.metadata.labels["topology.kubernetes.io/zone"]]);
    }
    const scratch = await waitFor(
      "PVC scratch Bound",
      async () => {
        const p = await get("/api/v1/namespaces/data/persistentvolumeclaims/scratch");
        return p?.status?.phase === "Bound" ? p : undefined;
      },
      30_000,
    );
    const spv = await get(`/api/v1/persistentvolumes/${scratch.spec.volumeName}`);
    expect(spv.spec.accessModes).toEqual(["ReadWriteMany"]);
    expect(spv.spec.persistentVolumeReclaimPolicy).toBe("Retain");
    expect(spv.metadata.annotations["pv.kubernetes.io/provisioned-by"]).toBe("ebs.csi.aws.com");
    const typo = await get("/api/v1/namespaces/data/persistentvolumeclaims/typo");
    expect(typo.status.phase).toBe("Pending");
    expect(progress.some((l) => l.includes('PVC data/typo: StorageClass "does-not-exist" does not exist'))).toBe(true);
  });

  it("webhooks are answered by the loopback allow-all stand-in; service-backed APIServices are removed", async () => {
    need();
    await namespace("hooks", { "webhook-test": "on" });
    const hook = (name: string) => ({
      name,
      clientConfig: { service: { namespace: "hooks", name: "policy-controller", path: "/check" }, caBundle: Buffer.from("not a real CA").toString("base64") },
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
      namespaceSelector: { matchLabels: { "webhook-test": "on" } },
      failurePolicy: "Fail",
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      timeoutSeconds: 5,
    });
    await create("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "policy" },
      webhooks: [hook("validate.policy.example")],
    });
    await create("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "injector" },
      webhooks: [hook("mutate.injector.example")],
    });
    for (const [plural, name] of [
      ["validatingwebhookconfigurations", "policy"],
      ["mutatingwebhookconfigurations", "injector"],
    ]) {
      const cfg = await waitFor(
        `${name} rewritten`,
        async () => {
          const c = await get(`/apis/admissionregistration.k8s.io/v1/${plural}/${name}`);
          return c?.webhooks?.[0]?.clientConfig?.url?.startsWith(cp.standins.admissionUrl) ? c : undefined;
        },
        10_000,
      );
      expect(cfg.webhooks[0].clientConfig.service).toBeUndefined();
      const original = JSON.parse(cfg.metadata.annotations[ORIGINAL_CLIENT_CONFIG]);
      expect(Object.values(original)[0]).toMatchObject({ service: { namespace: "hooks", name: "policy-controller", path: "/check" } });
    }
    // With the original clientConfig this create would fail (failurePolicy Fail, no backend).
    await waitFor(
      "ConfigMap admitted through both webhooks",
      async () =>
        (await k.create("/api/v1/namespaces/hooks/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { a: "b" } })).status ===
        201,
      10_000,
    );
    const calls = [...cp.standins.admissionCalls.keys()];
    expect(calls).toContain("/validate/policy/validate.policy.example");
    expect(calls).toContain("/mutate/injector/mutate.injector.example");

    // A CRD whose conversion webhook runs in the cluster: the stand-in converts (apiVersion only).
    const schema = { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } };
    await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gadgets.standin.example" },
      spec: {
        group: "standin.example",
        scope: "Namespaced",
        names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
        versions: [
          { name: "v1", served: true, storage: true, schema },
          { name: "v2", served: true, storage: false, schema },
        ],
        conversion: {
          strategy: "Webhook",
          webhook: { conversionReviewVersions: ["v1"], clientConfig: { service: { namespace: "hooks", name: "gadget-operator", path: "/convert" } } },
        },
      },
    });
    await waitFor(
      "CRD conversion rewritten and Established",
      async () => {
        const c = await get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.standin.example");
        return c?.spec?.conversion?.webhook?.clientConfig?.url?.startsWith(cp.standins.admissionUrl) && cond(c, "Established")?.status === "True";
      },
      15_000,
    );
    await waitFor(
      "Gadget created in v1",
      async () =>
        (
          await k.create("/apis/standin.example/v1/namespaces/hooks/gadgets", {
            apiVersion: "standin.example/v1",
            kind: "Gadget",
            metadata: { name: "g" },
            spec: { a: 1 },
          })
        ).status === 201,
      15_000,
    );
    const asV2 = await waitFor("Gadget read as v2", () => get("/apis/standin.example/v2/namespaces/hooks/gadgets/g"), 15_000);
    expect(asV2.apiVersion).toBe("standin.example/v2");
    expect(asV2.spec).toEqual({ a: 1 });
    expect([...cp.standins.admissionCalls.keys()]).toContain("/convert/gadgets.standin.example");

    await create("/apis/apiregistration.k8s.io/v1/apiservices", {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1beta1.metrics.standin.example" },
      spec: {
        group: "metrics.standin.example",
        version: "v1beta1",
        service: { namespace: "hooks", name: "metrics-server", port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
    await waitFor(
      "APIService removed",
      async () => (await k.get("/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.standin.example")).status === 404,
      10_000,
    );
    // (the GET can see the deletion before the stand-in has read its DELETE response)
    await waitFor(
      "APIService deletion logged",
      async () => progress.some((l) => l.includes("deleted aggregated APIService v1beta1.metrics.standin.example")),
      5_000,
    );
  });

  it("namespace deletion completes (pods, volumes, custom resources and all)", async () => {
    need();
    const namespaces = ["psa", "apps", "batch", "sa", "net", "data", "hooks"];
    const pvs = (await get("/api/v1/persistentvolumes")).items.filter((pv: any) => pv.spec.claimRef?.namespace === "data");
    for (const ns of namespaces) expect((await k.delete(`/api/v1/namespaces/${ns}`)).status).toBe(200);
    await k.delete("/apis/standin.example/v1/namespaces/default/widgets/ok");
    await waitFor(
      "all test namespaces gone",
      async () => {
        for (const ns of namespaces) if ((await k.get(`/api/v1/namespaces/${ns}`)).status !== 404) return false;
        return true;
      },
      60_000,
      500,
    );
    // Released volumes: Delete-policy ones are deleted by the stand-in, Retain ones stay.
    await waitFor(
      "Delete-policy PVs removed",
      async () => {
        for (const pv of pvs.filter((p: any) => p.spec.persistentVolumeReclaimPolicy === "Delete")) {
          if ((await k.get(`/api/v1/persistentvolumes/${pv.metadata.name}`)).status !== 404) return false;
        }
        return true;
      },
      30_000,
    );
    const retained = pvs.filter((p: any) => p.spec.persistentVolumeReclaimPolicy === "Retain");
    expect(retained).toHaveLength(1);
    expect((await get(`/api/v1/persistentvolumes/${retained[0].metadata.name}`))?.status?.phase).toBe("Released");
  });
});
