// The pods operators would create for our custom resources (tools/conformance/operator-pods.ts),
// checked on the embedded control plane with the pinned charts' own CRDs (CloudNativePG 0.29.0 =
// operator 1.30.0, scylla-operator v1.21.1, from the chart mirror): the shape follows the custom
// resource as stored, the way the operators' sources build their pods.
//  - CloudNativePG 1.30 takes the Cluster's spec.securityContext / spec.podSecurityContext over its
//    defaults (1.27 ignored them), and a Pooler's containers take its Cluster's securityContext;
//  - scylla-operator 1.21 runs ScyllaDB as root with CAP_SYS_NICE and adds a privileged
//    sysctl-buddy init container when spec.sysctls is set, and hostNetwork when asked.
// Binaries come from `npm run engine` (never built here).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, defaultBinDir, missingBinaries, startControlPlane } from "../../tools/cluster/controlplane";
import { CHARTS_MIRROR } from "../../tools/harness/shared";
import { OPERATOR_POD_SHAPES, operatorPodProblems, probePod } from "../../tools/conformance/operator-pods";

let cp: ControlPlane | undefined;
let dir: string | undefined;
let setupError: Error | undefined;

async function apply(manifest: string | object): Promise<void> {
  const input = typeof manifest === "string" ? manifest : JSON.stringify(manifest);
  const r = await cp!.kubectl(["apply", "--server-side", "-f", "-"], { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

beforeAll(async () => {
  try {
    const missing = missingBinaries();
    if (missing.length) throw new Error(`control plane binaries missing: ${missing.join(", ")}: run npm run engine`);
    const mirror = CHARTS_MIRROR;
    const helm = join(defaultBinDir(), "helm");
    const cnpgCrds = execFileSync(helm, ["template", "crds", join(mirror, "cloudnative-pg-0.29.0.tgz"), "--show-only", "templates/crds/crds.yaml"], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const scyllaCrd = execFileSync(
      "tar",
      ["-xOzf", join(mirror, "scylla-operator-v1.21.1.tgz"), "scylla-operator/crds/00_scylla.scylladb.com_scyllaclusters.yaml"],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    dir = mkdtempSync(join(tmpdir(), "operator-pods-test-"));
    cp = await startControlPlane({ dir });
    await apply(cnpgCrds);
    await apply(scyllaCrd);
    for (const crd of ["clusters.postgresql.cnpg.io", "poolers.postgresql.cnpg.io", "scyllaclusters.scylla.scylladb.com"]) {
      const w = await cp.kubectl(["wait", "--for=condition=Established", `crd/${crd}`, "--timeout=60s"], { timeoutMs: 70_000 });
      if (w.code !== 0) throw new Error(`CRD ${crd} not established: ${w.stderr}`);
    }
    const pss = (name: string, level: string) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": "latest" } },
    });
    await apply(pss("data", "restricted"));
    await apply(pss("scylla", "baseline"));
    const cluster = (name: string, spec: object = {}) => ({
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: { name, namespace: "data" },
      spec: { instances: 1, storage: { size: "1Gi" }, ...spec },
    });
    const pooler = (name: string, clusterName: string) => ({
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Pooler",
      metadata: { name, namespace: "data" },
      spec: { cluster: { name: clusterName }, instances: 1, type: "rw", pgbouncer: { poolMode: "transaction" } },
    });
    await apply(cluster("pg"));
    await apply(pooler("pg-pooler", "pg"));
    // A securityContext the pinned CRD accepts (1.30 field) and restricted Pod Security refuses.
    await apply(cluster("pg-escalates", { securityContext: { allowPrivilegeEscalation: true } }));
    await apply(pooler("pg-escalates-pooler", "pg-escalates"));
    await apply({
      apiVersion: "scylla.scylladb.com/v1",
      kind: "ScyllaCluster",
      metadata: { name: "chain", namespace: "scylla" },
      spec: {
        version: "2025.1.0",
        sysctls: ["fs.aio-max-nr=30000000"],
        datacenter: { name: "dc1", racks: [{ name: "a", members: 1, storage: { capacity: "1Gi" }, resources: { requests: { cpu: "1", memory: "1Gi" } } }] },
      },
    });
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
}, 240_000);

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("operator pods follow the pinned operators' sources and the custom resource as stored", () => {
  it("CloudNativePG 1.30: defaults meet restricted; the Cluster's own securityContext reaches its instance pods and its Pooler's", async () => {
    if (setupError) throw setupError;
    const r = await operatorPodProblems(cp!);
    expect(r.checked.sort()).toEqual([
      "Cluster data/pg",
      "Cluster data/pg-escalates",
      "Pooler data/pg-escalates-pooler",
      "Pooler data/pg-pooler",
      "ScyllaCluster scylla/chain",
    ]);
    const refused = new Map(r.problems.map((p) => [p.object, p.message]));
    expect([...refused.keys()].sort()).toEqual(["Cluster data/pg-escalates", "Pooler data/pg-escalates-pooler", "ScyllaCluster scylla/chain"]);
    for (const o of ["Cluster data/pg-escalates", "Pooler data/pg-escalates-pooler"]) {
      expect(refused.get(o)).toMatch(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(containers? .*"bootstrap-controller"/);
      expect(refused.get(o)).toMatch(/cloudnative-pg v1\.30\.0/);
    }
  });

  it("scylla-operator 1.21: root with CAP_SYS_NICE, and a privileged sysctl-buddy init container when spec.sysctls is set, refused below privileged", async () => {
    if (setupError) throw setupError;
    const r = await operatorPodProblems(
      cp!,
      OPERATOR_POD_SHAPES.filter((s) => s.kind === "scylla.scylladb.com/ScyllaCluster"),
    );
    expect(r.problems).toHaveLength(1);
    const m = r.problems[0]!.message;
    expect(m).toMatch(/violates PodSecurity "baseline:latest"/);
    expect(m).toMatch(/privileged \(container "sysctl-buddy"/);
    expect(m).toMatch(/non-default capabilities \(container "scylla" must not include "SYS_NICE"/);
    expect(m).toMatch(/scylla-operator v1\.21\.1/);
    // Without sysctls and with host networking: no sysctl-buddy, hostNetwork on the pod.
    const pod = probePod(
      OPERATOR_POD_SHAPES.find((s) => s.kind === "scylla.scylladb.com/ScyllaCluster")!,
      "scylla",
      "x",
      { spec: { network: { hostNetworking: true } } },
    ) as any;
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.initContainers.map((c: any) => c.name)).toEqual(["sidecar-injection"]);
    const dry = await cp!.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], { input: JSON.stringify(pod) });
    expect(dry.stderr).toMatch(/host namespaces \(hostNetwork=true\)/);
  });
});
