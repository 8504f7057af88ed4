// `local` against a real API server: etcd (Debian etcd-server) + kube-apiserver built from Go
// modules, on loopback ports chosen at run time. `pulumi up` creates the objects with
// server-side validation, a name the API server rejects fails the update, `pulumi destroy`
// removes them. Needs the `etcd` binary (apt package etcd-server, installed by .ci/run).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./apiserver";
import { fixturesDir, repoRoot, workspace, type Workspace } from "./engine";

const CHECK_TIMEOUT = 3 * 60_000; // binaries are built beforehand (npm run engine); never here
const OP_TIMEOUT = 5 * 60_000;

let ws: Workspace;
let api: ApiServer | undefined;
let project: string;

beforeAll(async () => {
  const etcd = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  if (etcd.status !== 0) throw new Error("etcd is not installed: apt-get install etcd-server (see .ci/run)");
  const r = spawnSync("bash", [join(repoRoot, "scripts", "engine.sh")], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, ENGINE_QUIET: "1", ENGINE_NO_BUILD: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`scripts/engine.sh failed:\n${r.stderr}`);
  const bin = r.stdout.trim().split("\n").pop() as string;
  ws = workspace(bin);
  api = await startApiServer(join(ws.dir, "cluster"), join(bin, "kube-apiserver"));
  project = ws.project(join(fixturesDir, "k8s-cluster"));
  const init = await ws.pulumi(["stack", "init", "test", "--secrets-provider", "passphrase"], project);
  expect(init.code, init.output).toBe(0);
  const cfg = await ws.pulumi(["config", "set", "kubeconfigPath", api.kubeconfigPath, "--stack", "test"], project);
  expect(cfg.code, cfg.output).toBe(0);
}, CHECK_TIMEOUT);

afterAll(async () => {
  await api?.stop();
  ws?.cleanup();
});

describe("real engine against a real kube-apiserver", () => {
  it(
    "creates the objects with pulumi up",
    async () => {
      const up = await ws.pulumi(["up", "--stack", "test", "--yes", "--skip-plugin-pre-install"], project);
      expect(up.code, up.output).toBe(0);
      const cm = await api!.call("GET", "/api/v1/namespaces/default/configmaps/web-config");
      expect(cm.status).toBe(200);
      expect(cm.body.data).toEqual({ GREETING: "hello" });
      const deploy = await api!.call("GET", "/apis/apps/v1/namespaces/default/deployments/web");
      expect(deploy.status).toBe(200);
      expect(deploy.body.spec.template.spec.containers[0].image).toBe("registry.example.invalid/web:1.0.0");
      const svc = await api!.call("GET", "/api/v1/namespaces/default/services/web");
      expect(svc.body.spec.clusterIP).toMatch(/^10\.96\./);
    },
    OP_TIMEOUT,
  );

  it(
    "fails the update when the API server rejects an object",
    async () => {
      const up = await ws.pulumi(["up", "--stack", "test", "--yes", "--skip-plugin-pre-install", "--config", "invalid=true"], project);
      expect(up.code, up.output).not.toBe(0);
      expect(up.output).toContain("Bad_Name");
      expect(up.output).toMatch(/Invalid value|invalid/);
      const bad = await api!.call("GET", "/api/v1/namespaces/default/configmaps/Bad_Name");
      expect(bad.status).toBe(404);
    },
    OP_TIMEOUT,
  );

  it(
    "removes the objects with pulumi destroy",
    async () => {
      const down = await ws.pulumi(["destroy", "--stack", "test", "--yes", "--skip-plugin-pre-install"], project);
      expect(down.code, down.output).toBe(0);
      for (const path of [
        "/api/v1/namespaces/default/configmaps/web-config",
        "/apis/apps/v1/namespaces/default/deployments/web",
        "/api/v1/namespaces/default/services/web",
      ]) {
        expect((await api!.call("GET", path)).status, path).toBe(404);
      }
    },
    OP_TIMEOUT,
  );
});
