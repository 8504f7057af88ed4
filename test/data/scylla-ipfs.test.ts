import { describe, expect, it } from "vitest";
import { VERSION_PINS } from "../../components/charts";
import { backupPolicy, noBackups } from "../../components/data/backups";
import { Ipfs } from "../../components/data/ipfs";
import { planIpfs } from "../../components/data/ipfs/plan";
import { Scylla } from "../../components/data/scylla";
import { OPERATOR_BASELINE_ROLE, planOperatorNamespace } from "../../components/data/operator-namespace";
import { DEFAULT_ROLE_LEVELS } from "../../policies/baseline";
import { keyspaceStatement, planScylla } from "../../components/data/scylla/plan";
import { runProgram } from "../../tools/harness/run";
import { k8sKind, k8sNet, k8sProviders, one, openCidrs, plainSecrets, failure } from "./helpers";
import { TIERS } from "../../stacks/spec/tiers";

/** The gateway's two keyspaces as the lead maps them for prod. */
const prodKeyspaces = [
  { name: "persistent", replicationFactor: 3, durableWrites: true },
  { name: "volatile", replicationFactor: 2, durableWrites: false },
];

describe("Scylla plan (pure)", () => {
  const base = {
    name: "chain",
    datacenter: "dc1",
    racks: 1,
    membersPerRack: 3,
    username: "app",
    managerNamespace: "scylla-manager",
    protect: true,
    tls: { enabled: true, certSecretName: "scylla-tls" },
    network: k8sNet,
  };

  it("keyspaces: NetworkTopologyStrategy with per-keyspace RF and durable_writes", () => {
    const p = planScylla({ ...base, keyspaces: prodKeyspaces, backup: backupPolicy(TIERS.prod.backups), backupLocation: "s3:scylla-backups" });
    expect(p.problems).toEqual([]);
    expect(p.keyspaceCql).toContain(
      "CREATE KEYSPACE IF NOT EXISTS persistent WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = true;",
    );
    expect(p.keyspaceCql).toContain("ALTER KEYSPACE volatile WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2} AND durable_writes = false;");
    expect(p.keyspaceCql).toContain("GRANT ALL PERMISSIONS ON KEYSPACE volatile TO app;");
    expect(p.keyspaceCql).toContain("'$APP_PASSWORD'");
    expect(p.scyllaYaml).toContain("authenticator: PasswordAuthenticator");
    expect(p.scyllaYaml).toContain("client_encryption_options:\n  enabled: true");
    expect(p.backupTasks).toEqual([{ name: "daily", location: ["s3:scylla-backups"], cron: "0 3 * * *", retention: 35 }]);
    expect(p.members).toBe(3);
  });

  it("RF above the member count, missing cert and missing backup location are all reported", () => {
    const p = planScylla({ ...base, membersPerRack: 1, tls: { enabled: true }, keyspaces: prodKeyspaces, backup: backupPolicy(TIERS.staging.backups) });
    expect(p.problems.join("\n")).toMatch(
      /keyspaces.0.replicationFactor: 3 exceeds the 1 member[\s\S]*keyspaces.1[\s\S]*tls.certSecretName[\s\S]*backupLocation/,
    );
  });

  it("operator namespaces: restricted by default; the Scylla Operator's enforces baseline under the role the policy pack allows it (its chart cannot set container securityContext)", () => {
    const base = {
      namespace: "scylla-operator",
      operator: "scylla-operator",
      apiServerCidrs: ["10.0.0.0/16"],
      webhookPorts: [5000],
      managed: { namespace: "data-privileged", ports: [10000] },
    };
    expect(planOperatorNamespace(base).namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const labels = planOperatorNamespace({ ...base, podSecurity: "baseline" }).namespace.metadata.labels as Record<string, string>;
    expect(labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
      "platform.io/role": OPERATOR_BASELINE_ROLE,
    });
    expect(DEFAULT_ROLE_LEVELS[OPERATOR_BASELINE_ROLE]).toBe("baseline");
  });

  it("keyspaceStatement is exact", () => {
    expect(keyspaceStatement({ name: "k", replicationFactor: 1, durableWrites: false }, "east", "ALTER KEYSPACE")).toBe(
      "ALTER KEYSPACE k WITH replication = {'class': 'NetworkTopologyStrategy', 'east': 1} AND durable_writes = false;",
    );
  });
});

describe("Scylla through the harness", () => {
  it("prod: ScyllaCluster 3 members with client TLS + password auth, keyspace Job, credentials in a Secret", async () => {
    const inv = await runProgram(() => {
      const s = new Scylla(
        "chain",
        {
          network: k8sNet,
          keyspaces: prodKeyspaces,
          backup: backupPolicy(TIERS.prod.backups),
          backupLocation: "s3:scylla-backups",
          tls: { certSecretName: "scylla-tls" },
          protect: true,
        },
        { providers: k8sProviders() },
      );
      return { connection: s.connection };
    });
    const cluster = k8sKind(inv, "ScyllaCluster")[0];
    expect(cluster.type).toBe("kubernetes:scylla.scylladb.com/v1:ScyllaCluster");
    expect(cluster.options.protect).toBe(true);
    const spec = cluster.inputs.spec as any;
    expect(spec.developerMode).toBe(false);
    expect(spec.datacenter.racks).toHaveLength(1);
    expect(spec.datacenter.racks[0]).toMatchObject({ name: "rack1", members: 3, scyllaConfig: "chain-config", storage: { capacity: "50Gi" } });
    expect(spec.datacenter.racks[0].volumes[0].secret.secretName).toBe("scylla-tls");
    expect(spec.backups[0].location).toEqual(["s3:scylla-backups"]);
    const job = k8sKind(inv, "Job")[0];
    const c = (job.inputs.spec as any).template.spec.containers[0];
    expect(c.command[2]).toContain("cqlsh --ssl --cqlshrc=/tmp/cqlshrc chain-client.data.svc.cluster.local 9042 -f /tmp/setup.cql");
    expect(c.env.map((e: any) => e.valueFrom.secretKeyRef.key)).toEqual(["password", "admin-password"]);
    expect(job.dependencies).toContain(cluster.urn);
    expect(one(inv, "kubernetes:core/v1:Secret").secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    expect(plainSecrets(inv)).toEqual([]);
    expect(openCidrs(inv)).toEqual([]);
    expect(inv.secretOutputPaths).toContain("connection");
    expect(inv.outputs.connection).toMatchObject({ host: "chain-client.data.svc.cluster.local", port: 9042, keyspaces: ["persistent", "volatile"], tls: true });
  });

  it("dev: one member, RF 1, no backups when the tier keeps none for caches", async () => {
    const inv = await runProgram(() => {
      new Scylla(
        "chain",
        {
          network: k8sNet,
          membersPerRack: 1,
          developerMode: true,
          keyspaces: [
            { name: "persistent", replicationFactor: 1 },
            { name: "volatile", replicationFactor: 1, durableWrites: false },
          ],
          backup: noBackups(),
          tls: { certSecretName: "scylla-tls" },
          protect: false,
        },
        { providers: k8sProviders() },
      );
      return {};
    });
    const spec = k8sKind(inv, "ScyllaCluster")[0].inputs.spec as any;
    expect(spec.datacenter.racks[0].members).toBe(1);
    expect(spec.backups).toBeUndefined();
  });

  it("statefulset (local): one developer-mode node as root + CAP_SYS_NICE, the same client Service, credentials and keyspace Job as the operator path", async () => {
    const inv = await runProgram(() => {
      const s = new Scylla(
        "chain",
        {
          implementation: "statefulset",
          network: k8sNet,
          membersPerRack: 1,
          developerMode: true,
          resources: { cpu: "500m", memory: "1Gi" },
          storageGb: 10,
          keyspaces: [
            { name: "persistent", replicationFactor: 1 },
            { name: "volatile", replicationFactor: 1, durableWrites: false },
          ],
          backup: noBackups(),
          tls: { enabled: false },
        },
        { providers: k8sProviders() },
      );
      return { connection: s.connection };
    });
    expect(k8sKind(inv, "ScyllaCluster")).toEqual([]);
    const sts = k8sKind(inv, "StatefulSet")[0];
    const pod = (sts.inputs.spec as any).template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("scylladb/scylla:6.2.2");
    expect(c.args).toEqual([
      "--developer-mode=1",
      "--smp=1",
      "--memory=768M",
      "--overprovisioned=1",
      "--authenticator=PasswordAuthenticator",
      "--authorizer=CassandraAuthorizer",
      "--endpoint-snitch=GossipingPropertyFileSnitch",
    ]);
    expect(c.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, capabilities: { add: ["SYS_NICE"] } });
    expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    expect(c.readinessProbe.tcpSocket.port).toBe(9042);
    expect(c.livenessProbe.tcpSocket.port).toBe(9042);
    // The keyspaces replicate to the datacenter the node announces.
    const rackdc = k8sKind(inv, "ConfigMap").find((m) => (m.inputs.metadata as any).name === "chain-rackdc")!;
    expect((rackdc.inputs.data as any)["cassandra-rackdc.properties"]).toBe("dc=dc1\nrack=rack1\n");
    const svc = k8sKind(inv, "Service").find((m) => (m.inputs.metadata as any).name === "chain-client")!;
    expect((svc.inputs.spec as any).ports.map((p: any) => p.port)).toEqual([9042, 19042]);
    expect((svc.inputs.spec as any).selector).toEqual((sts.inputs.spec as any).selector.matchLabels);
    const job = k8sKind(inv, "Job")[0];
    expect(job.dependencies).toContain(sts.urn);
    expect((job.inputs.spec as any).template.spec.containers[0].command[2]).toContain(
      "cqlsh --cqlshrc=/tmp/cqlshrc chain-client.data.svc.cluster.local 9042 -f /tmp/setup.cql",
    );
    expect(inv.outputs.connection).toMatchObject({ host: "chain-client.data.svc.cluster.local", port: 9042, tls: false });
  });

  it.each([
    [
      { membersPerRack: 3 },
      /membersPerRack: the statefulset implementation runs exactly one node: set racks: 1 and membersPerRack: 1, or use implementation: operator/,
    ],
    [{ installOperator: true }, /installOperator: the statefulset implementation needs no operator: remove installOperator, or use implementation: operator/],
    [
      { tls: { enabled: true, certSecretName: "t" } },
      /tls.enabled: the statefulset implementation serves CQL without client TLS: set tls.enabled=false explicitly, or use implementation: operator/,
    ],
    [
      { backup: backupPolicy(TIERS.staging.backups) },
      /backup: the statefulset implementation has no Scylla Manager to back up through: pass noBackups\(\), or use implementation: operator/,
    ],
    [
      { resources: { cpu: "1", memory: "2000000000" } },
      /resources.memory: the statefulset implementation sizes ScyllaDB from its memory limit: give it in Mi or Gi \(e.g. 1Gi\)/,
    ],
  ])("statefulset refuses %o with the field and the fix, before registering anything", async (bad, message) => {
    const err = await failure(() => {
      new Scylla(
        "chain",
        {
          implementation: "statefulset",
          network: k8sNet,
          membersPerRack: 1,
          keyspaces: [{ name: "k", replicationFactor: 1 }],
          backup: noBackups(),
          tls: { enabled: false },
          ...bad,
        },
        { providers: k8sProviders() },
      );
      return {};
    });
    expect(err.message).toMatch(message);
    expect(err.inventory.resources.filter((r) => r.type.startsWith("platform:") || r.type.startsWith("kubernetes:"))).toEqual([]);
  });

  it("refuses RF 3 on one member before registering anything", async () => {
    const err = await failure(() => {
      new Scylla(
        "chain",
        { network: k8sNet, membersPerRack: 1, keyspaces: prodKeyspaces, backup: noBackups(), tls: { certSecretName: "t" } },
        { providers: k8sProviders() },
      );
      return {};
    });
    expect(err.message).toMatch(/keyspaces.0.replicationFactor/);
    expect(err.inventory.resources.filter((r) => r.type.startsWith("platform:") || r.type.startsWith("kubernetes:"))).toEqual([]);
  });
});

describe("IPFS", () => {
  it("plan: API and gateway are the only client ports; API guarded by a bearer token from the env", () => {
    const p = planIpfs({ name: "ipfs", replicas: 1, gateway: true, publicSwarm: true, protect: false, network: k8sNet });
    expect(p.servicePorts.map((x) => x.port)).toEqual([5001, 8080]);
    expect(p.initScript).toContain("bearer:$IPFS_API_TOKEN");
    expect(p.initScript).toContain("Discovery.MDNS.Enabled false");
    const net = p.network as Extract<typeof p.network, { kind: "kubernetes" }>;
    expect(net.ingress).toHaveLength(1);
    expect(net.ingress[0].from).toEqual({ namespaces: ["apps"] });
    expect(net.egress[0].ports.map((x) => `${x.port}/${x.protocol}`)).toEqual(["4001/TCP", "4001/UDP", "443/TCP"]);
    const priv = planIpfs({ name: "ipfs", replicas: 1, gateway: false, publicSwarm: false, protect: false, network: k8sNet });
    expect(priv.servicePorts.map((x) => x.port)).toEqual([5001]);
    expect((priv.network as any).egress).toEqual([]);
    expect(priv.initScript).toContain("ipfs bootstrap rm --all");
  });

  it("harness: kubo StatefulSet with a PVC, ClusterIP-only services, token secret, restricted pod", async () => {
    const inv = await runProgram(() => {
      const i = new Ipfs("ipfs", { network: k8sNet, protect: true }, { providers: k8sProviders() });
      return { connection: i.connection };
    });
    const sts = k8sKind(inv, "StatefulSet")[0];
    const spec = sts.inputs.spec as any;
    expect(sts.options.protect).toBe(true);
    expect(spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("50Gi");
    const c = spec.template.spec.containers[0];
    expect(c.image).toBe(VERSION_PINS.kubo.value); // the default image is the pinned one
    expect(c.env.find((e: any) => e.name === "IPFS_API_TOKEN").valueFrom.secretKeyRef).toEqual({ name: "ipfs-api-token", key: "token" });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    for (const s of k8sKind(inv, "Service")) {
      const t = (s.inputs.spec as any).type;
      expect(t === undefined || t === "ClusterIP").toBe(true);
      expect((s.inputs.spec as any).ports.map((p: any) => p.port)).not.toContain(4001);
    }
    expect(k8sKind(inv, "Ingress")).toHaveLength(0);
    expect(plainSecrets(inv)).toEqual([]);
    expect(openCidrs(inv)).toEqual([]);
    expect(inv.secretOutputPaths).toContain("connection");
    expect(inv.outputs.connection).toMatchObject({ apiUrl: "http://ipfs.data.svc.cluster.local:5001", tls: false });
  });
});

describe("keyspaceSettings (blueprint durability → replication)", () => {
  it("persistent RF 3 durable, volatile RF 2 without commit log, capped by members", async () => {
    const { keyspaceSettings } = await import("../../components/data");
    expect(keyspaceSettings("persistent", 3)).toEqual({ replicationFactor: 3, durableWrites: true });
    expect(keyspaceSettings("volatile", 3)).toEqual({ replicationFactor: 2, durableWrites: false });
    expect(keyspaceSettings("persistent", 1)).toEqual({ replicationFactor: 1, durableWrites: true });
    expect(keyspaceSettings("volatile", 1)).toEqual({ replicationFactor: 1, durableWrites: false });
  });
});
