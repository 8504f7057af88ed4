/**
 * The shell scripts the stores ship (Scylla keyspace Job, kubo init, SeaweedFS bucket Job,
 * Redis start) run under a real POSIX shell (dash) with stub binaries that record their
 * arguments, so quoting, secret substitution and control flow are checked, not just text.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backupPolicy } from "../../components/data/backups";
import { planIpfs } from "../../components/data/ipfs/plan";
import { planSeaweed } from "../../components/data/objectstore/plan";
import { planClusterRedis } from "../../components/data/redis/plan";
import { planScylla } from "../../components/data/scylla/plan";
import { TIERS } from "../../stacks/spec/tiers";

const root = mkdtempSync(join(tmpdir(), "data-scripts-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const net = { namespace: "data", clientNamespaces: ["apps"] };

function sandbox(name: string, stubs: Record<string, string>): { dir: string; bin: string; log: string } {
  const dir = join(root, name);
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const log = join(dir, "calls.log");
  for (const [cmd, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, cmd), `#!/bin/sh\nprintf '%s\\n' "${cmd} $*" >> ${log}\n${body}\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  return { dir, bin, log };
}

function run(script: string, env: Record<string, string>, bin: string) {
  return spawnSync("dash", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: "utf8", timeout: 20_000 });
}

describe("generated scripts are valid POSIX shell", () => {
  it("dash -n accepts every script", () => {
    const scripts = [
      planClusterRedis({ name: "c", replicas: 1, persistence: "aof", protect: false, tls: { enabled: true, certSecretName: "t" }, network: net }).startScript,
      planScylla({
        name: "s",
        datacenter: "dc1",
        racks: 1,
        membersPerRack: 3,
        keyspaces: [{ name: "p", replicationFactor: 3, durableWrites: true }],
        username: "app",
        backup: backupPolicy(TIERS.local.backups),
        managerNamespace: "m",
        protect: false,
        tls: { enabled: true, certSecretName: "t" },
        network: net,
      }).jobScript,
      planIpfs({ name: "i", replicas: 1, gateway: false, publicSwarm: false, protect: false, network: net }).initScript,
      planSeaweed({
        name: "f",
        buckets: [{ name: "a", purpose: "data" }],
        masters: 3,
        volumeServers: 3,
        replication: "001",
        backup: backupPolicy(TIERS.dev.backups),
        protect: false,
        tls: { enabled: true, certSecretName: "t" },
        network: net,
      }).bucketScript,
    ];
    for (const s of scripts) {
      const r = spawnSync("dash", ["-n", "-c", s], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });
});

describe("Scylla keyspace Job script", () => {
  const plan = planScylla({
    name: "chain",
    datacenter: "dc1",
    racks: 1,
    membersPerRack: 3,
    keyspaces: [
      { name: "persistent", replicationFactor: 3, durableWrites: true },
      { name: "volatile", replicationFactor: 2, durableWrites: false },
    ],
    username: "app",
    backup: backupPolicy(TIERS.local.backups),
    managerNamespace: "scylla-manager",
    protect: false,
    tls: { enabled: true, certSecretName: "scylla-tls" },
    network: net,
  });

  function runJob(name: string, acceptedPassword: string) {
    const sb = sandbox(name, {
      // Accepts the login only with the given superuser password; `-f` copies the CQL it was given.
      cqlsh: `pw=$(sed -n 's/^password = //p' "$TMPROOT/cqlshrc")\n[ "$pw" = "${acceptedPassword}" ] || exit 1\ncase "$*" in *" -f "*) cp "$TMPROOT/setup.cql" "$TMPROOT/ran.cql" ;; esac\nexit 0`,
      sleep: "exit 0",
    });
    const etc = join(sb.dir, "etc");
    mkdirSync(etc);
    writeFileSync(join(etc, "keyspaces.cql"), plan.keyspaceCql);
    const script = plan.jobScript.replaceAll("/tmp", sb.dir).replaceAll("/etc/scylla-keyspaces", etc);
    const r = run(script, { TMPROOT: sb.dir, APP_PASSWORD: "appPw123", ADMIN_PASSWORD: "adminPw456" }, sb.bin);
    return { r, sb };
  }

  it("first run: logs in with the default password, creates keyspaces and the app role, then rotates the superuser password", () => {
    const { r, sb } = runJob("scylla-first", "cassandra");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const cql = readFileSync(join(sb.dir, "ran.cql"), "utf8");
    expect(cql).toContain(
      "CREATE KEYSPACE IF NOT EXISTS persistent WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = true;",
    );
    expect(cql).toContain("AND durable_writes = false;");
    expect(cql).toContain("CREATE ROLE IF NOT EXISTS app WITH PASSWORD = 'appPw123' AND LOGIN = true;");
    expect(cql).toContain("ALTER ROLE cassandra WITH PASSWORD = 'adminPw456';");
    expect(cql).not.toContain("$APP_PASSWORD");
    const calls = readFileSync(sb.log, "utf8");
    expect(calls).toContain("cqlsh --ssl --cqlshrc=");
    expect(calls).not.toContain("appPw123");
    expect(calls).not.toContain("adminPw456");
  });

  it("later runs log in with the rotated password", () => {
    const { r, sb } = runJob("scylla-again", "adminPw456");
    expect(r.status).toBe(0);
    expect(readFileSync(join(sb.dir, "ran.cql"), "utf8")).toContain("ALTER ROLE app WITH PASSWORD = 'appPw123';");
  });
});

describe("kubo init script", () => {
  it("sets the API bearer token as valid JSON from the env, binds API/gateway in the pod, disables MDNS", () => {
    const sb = sandbox("ipfs", { ipfs: "exit 0" });
    const script = planIpfs({ name: "ipfs", replicas: 1, gateway: true, publicSwarm: true, protect: false, network: net }).initScript;
    const r = run(script, { IPFS_API_TOKEN: "tok789" }, sb.bin);
    expect(r.status).toBe(0);
    const calls = readFileSync(sb.log, "utf8").trim().split("\n");
    const auth = calls.find((c) => c.startsWith("ipfs config --json API.Authorizations "))!;
    const json = JSON.parse(auth.slice("ipfs config --json API.Authorizations ".length));
    expect(json).toEqual({ app: { AuthSecret: "bearer:tok789", AllowedPaths: ["/api/v0"] } });
    expect(calls).toContain("ipfs config Addresses.API /ip4/0.0.0.0/tcp/5001");
    expect(calls).toContain("ipfs config --json Discovery.MDNS.Enabled false");
  });
});

describe("SeaweedFS bucket Job script", () => {
  it("creates every bucket through weed shell against master 0 and filer 0", () => {
    const sb = sandbox("seaweed", { weed: 'cat >> "$TMPROOT/shell.in"\nexit 0' });
    const plan = planSeaweed({
      name: "files",
      buckets: [
        { name: "files", purpose: "data" },
        { name: "pg-backups", purpose: "backups" },
      ],
      masters: 3,
      volumeServers: 3,
      replication: "001",
      backup: backupPolicy(TIERS.dev.backups),
      protect: false,
      tls: { enabled: true, certSecretName: "t" },
      network: net,
    });
    const r = run(plan.bucketScript, { TMPROOT: sb.dir }, sb.bin);
    expect(r.status).toBe(0);
    expect(readFileSync(join(sb.dir, "shell.in"), "utf8").split("\n").filter(Boolean)).toEqual([
      "s3.bucket.create -name files",
      "s3.bucket.create -name pg-backups",
      "s3.bucket.list",
    ]);
    expect(readFileSync(sb.log, "utf8")).toContain(
      "weed shell -master=files-master-0.files-master.data.svc.cluster.local:9333 -filer=files-filer-0.files-filer.data.svc.cluster.local:8888",
    );
  });
});
