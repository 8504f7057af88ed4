/**
 * `npm run local` after scripts/local.sh has the engine built and (by default) the embedded control
 * plane running: the `local` stack through the real engine, by Pulumi's Automation API, with the
 * policy pack enforced and Helm releases from the chart mirror; then it waits until every workload
 * is ready and prints what runs and how to reach it.
 *
 *   tsx scripts/local.ts --target embedded|render|kubeconfig [--kubeconfig PATH] [--preview|--destroy]
 *
 * Each target keeps its own state (`.pulumi-state/<target>`), so switching targets never replaces
 * one with the other. Run it through scripts/local.sh, which sets PATH to the engine.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { type ClusterAccess, kubectlAccess, readinessProblems } from "../tools/conformance/cluster-checks";
import { validateManifestDir } from "../tools/engine/validate-manifests.mjs";

const ROOT = resolve(__dirname, "..");
/** Fixed, public, local-only: it keeps the local state readable by this script and protects nothing. */
const LOCAL_PASSPHRASE = "local-only-passphrase-not-a-secret";
const STACK = "local";

type Target = "embedded" | "render" | "kubeconfig";

function parseArgs(argv: string[]) {
  const out: { target: Target; kubeconfig?: string; mode: "up" | "preview" | "destroy" } = { target: "embedded", mode: "up" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--target") out.target = argv[++i] as Target;
    else if (a === "--kubeconfig") out.kubeconfig = argv[++i];
    else if (a === "--preview") out.mode = "preview";
    else if (a === "--destroy") out.mode = "destroy";
    else throw new Error(`local: unknown argument ${a} (see scripts/local.sh)`);
  }
  if (!["embedded", "render", "kubeconfig"].includes(out.target)) throw new Error(`local: --target must be embedded, render or kubeconfig`);
  if (out.target !== "render" && !out.kubeconfig) throw new Error(`local: --target ${out.target} needs --kubeconfig PATH`);
  return out;
}

const say = (s: string) => process.stdout.write(`${s}\n`);
const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

async function stackFor(target: Target, env: Record<string, string>): Promise<Stack> {
  const state = resolve(process.env["LOCAL_STATE_DIR"] ?? join(ROOT, ".pulumi-state"), target);
  mkdirSync(state, { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: STACK, workDir: ROOT },
    {
      secretsProvider: "passphrase",
      envVars: {
        ...env,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: LOCAL_PASSPHRASE,
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: process.env["PULUMI_NODEJS_TRANSPILE_ONLY"] ?? "true",
      },
    },
  );
}

/** Stream the engine's own lines, and say every 15 s what is still being worked on. */
function progress() {
  const pending = new Map<string, string>();
  let last = Date.now();
  const timer = setInterval(() => {
    if (pending.size && Date.now() - last > 15_000) {
      say(`  ... still working on ${pending.size}: ${[...pending.values()].slice(0, 6).join(", ")}${pending.size > 6 ? ", …" : ""}`);
      last = Date.now();
    }
  }, 5_000);
  return {
    onOutput: (s: string) => {
      process.stdout.write(s);
      last = Date.now();
    },
    onEvent: (e: any) => {
      const pre = e.resourcePreEvent?.metadata;
      const out = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
      if (pre?.urn && pre.type?.startsWith("kubernetes:")) pending.set(pre.urn, `${pre.type.split(":").pop()} ${pre.urn.split("::").pop()}`);
      if (out?.urn) pending.delete(out.urn);
    },
    stop: () => clearInterval(timer),
  };
}

async function waitReady(access: ClusterAccess, timeoutMs = 300_000): Promise<boolean> {
  const t0 = Date.now();
  let lastSaid = 0;
  for (;;) {
    const problems = await readinessProblems(access);
    if (problems.length === 0) {
      say(`== every workload ready (${elapsed(t0)})`);
      return true;
    }
    if (Date.now() - t0 > timeoutMs) {
      say(`== not ready after ${elapsed(t0)}:`);
      for (const p of problems) say(`  - ${p.object}: ${p.message}\n      fix: ${p.fix}`);
      return false;
    }
    if (Date.now() - lastSaid > 10_000) {
      say(
        `  waiting for ${problems.length}: ${problems
          .slice(0, 5)
          .map((p) => p.object)
          .join(", ")}${problems.length > 5 ? ", …" : ""}`,
      );
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function printCluster(access: ClusterAccess): Promise<void> {
  const get = async (kinds: string) => JSON.parse((await access.kubectl(["get", kinds, "-A", "-o", "json"])).stdout || "{}").items ?? [];
  const nss = (await get("namespaces")).filter((n: any) => !/^kube-|^default$/.test(n.metadata.name));
  say("\n== namespaces");
  for (const n of nss) say(`  ${n.metadata.name.padEnd(22)} pod-security: ${n.metadata.labels?.["pod-security.kubernetes.io/enforce"] ?? "-"}`);
  say("\n== workloads");
  for (const w of await get("deployments,statefulsets,daemonsets")) {
    if (/^kube-/.test(w.metadata.namespace)) continue;
    const want = w.kind === "DaemonSet" ? w.status?.desiredNumberScheduled : (w.spec?.replicas ?? 1);
    const ready = w.kind === "DaemonSet" ? w.status?.numberReady : w.kind === "Deployment" ? w.status?.availableReplicas : w.status?.readyReplicas;
    say(`  ${`${w.kind} ${w.metadata.namespace}/${w.metadata.name}`.padEnd(60)} ready ${ready ?? 0}/${want ?? 0}`);
  }
  say("\n== services");
  for (const s of await get("services")) {
    if (/^kube-|^default$/.test(s.metadata.namespace)) continue;
    const ports = (s.spec?.ports ?? []).map((p: any) => `${p.port}/${p.protocol}`).join(",");
    say(`  ${`${s.metadata.namespace}/${s.metadata.name}`.padEnd(50)} ${s.spec?.type} ${s.spec?.clusterIP} ${ports}`);
  }
  const ings = await get("ingresses");
  if (ings.length) {
    say("\n== ingress hosts");
    for (const i of ings) for (const r of i.spec?.rules ?? []) say(`  https://${r.host}  (${i.metadata.namespace}/${i.metadata.name})`);
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const env: Record<string, string> = {};
  const renderDir = resolve(process.env["LOCAL_RENDER_DIR"] ?? join(ROOT, "rendered", "local"));
  if (o.target === "render") env["PLATFORM_RENDER_DIR"] = renderDir;
  else env["PLATFORM_KUBECONFIG"] = resolve(o.kubeconfig!);
  const mirror = process.env["PLATFORM_CHARTS_MIRROR"] ?? resolve(ROOT, "..", "shared", "charts");
  if (existsSync(join(mirror, "index.yaml"))) env["PLATFORM_CHARTS_MIRROR"] = mirror;

  // The engine's temp dir is this run's and is removed at the end: the Kubernetes provider writes the
  // kubeconfig it is given (with the cluster's client key) to a new temp file on every Configure
  // (pkg/provider/util.go writeKubeconfigToFile) and never removes it.
  const scratch = mkdtempSync(join(tmpdir(), "platform-local-"));
  env["TMPDIR"] = scratch;
  try {
    return await run(o, env, renderDir, t0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function run(o: ReturnType<typeof parseArgs>, env: Record<string, string>, renderDir: string, t0: number): Promise<number> {
  say(`== stack ${STACK} → ${o.target === "render" ? `manifests in ${renderDir}` : `cluster (${env["PLATFORM_KUBECONFIG"]})`}`);
  const stack = await stackFor(o.target, env);
  const policyPacks = [join(ROOT, "policies")];
  const p = progress();
  try {
    if (o.mode === "destroy") {
      await stack.destroy({ onOutput: p.onOutput });
      say(`== destroyed (${elapsed(t0)})`);
      return 0;
    }
    if (o.mode === "preview") {
      await stack.preview({ onOutput: p.onOutput, onEvent: p.onEvent, policyPacks });
      return 0;
    }
    if (o.target === "render" && !existsSync(renderDir)) {
      // Rendered files and state must agree: files gone while the state has resources → start afresh.
      const res = (await stack.exportStack()).deployment?.resources ?? [];
      if (res.length > 0) {
        say(`== ${renderDir} is missing but the stack has ${res.length} resources; destroying it first`);
        await stack.destroy({ onOutput: p.onOutput });
      }
    }
    const up = await stack.up({ onOutput: p.onOutput, onEvent: p.onEvent, policyPacks });
    say(`\n== pulumi up: ${up.summary.result} (${elapsed(t0)}): ${JSON.stringify(up.summary.resourceChanges ?? {})}`);
  } catch (err) {
    say(`\n== pulumi failed: ${err instanceof Error ? err.message.split("\n").slice(-40).join("\n") : String(err)}`);
    return 1;
  } finally {
    p.stop();
  }

  say("\n== outputs");
  for (const [k, v] of Object.entries(await stack.outputs())) say(`  ${k}: ${v.secret ? "[secret]" : JSON.stringify(v.value)}`);

  if (o.target === "render") {
    const files = existsSync(renderDir) ? readdirSync(renderDir, { recursive: true }).length : 0;
    say(`\n== manifests rendered to ${renderDir} (${files} entries)`);
    const { objects } = validateManifestDir(renderDir);
    const invalid = objects.filter((x) => x.status === "invalid");
    say(`== schema validation: ${objects.length} objects, ${invalid.length} invalid`);
    return invalid.length ? 1 : 0;
  }
  const kubectl = join(process.env["ENGINE_BIN"] ?? join(ROOT, ".engine", "bin"), "kubectl");
  const access = kubectlAccess(kubectl, env["PLATFORM_KUBECONFIG"]!);
  const ready = await waitReady(access);
  await printCluster(access);
  say(`\n== done in ${elapsed(t0)}`);
  return ready ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
