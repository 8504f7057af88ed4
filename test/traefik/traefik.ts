/**
 * Running Traefik v3.7.13's own code from the tests: `.engine/bin/traefik-crd`
 * (tools/engine/traefik, built by scripts/engine.sh). The full `traefik` binary cannot be built here
 * (tools/engine/README.md, "Traefik"); traefik-crd links the pieces that can be:
 *  - `config`: Traefik's Kubernetes CRD provider and Kubernetes Ingress provider, each through its
 *    own Init/Provide, watching an API server until its first configuration; prints the dynamic
 *    configuration each produced and every line they logged (TRAEFIK'S translation; OUR wait/print);
 *  - `serve`: Traefik's Headers (and RedirectScheme) middleware built from a dynamic Middleware
 *    (TRAEFIK'S CORS/header code) in front of OUR listener, Host/PathPrefix routing and reverse proxy.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultBinDir } from "../../tools/cluster/controlplane";

export const TRAEFIK_CRD = join(defaultBinDir(), "traefik-crd");

export function traefikMissing(): string | undefined {
  return existsSync(TRAEFIK_CRD) ? undefined : `${TRAEFIK_CRD} is missing: build it with \`npm run engine\` (scripts/engine.sh, module tools/engine/traefik)`;
}

/** One zerolog line of a provider (Traefik's logger), as traefik-crd captured it. */
export interface ProviderLog {
  level: string;
  message?: string;
  error?: string;
  providerName?: string;
  ingress?: string;
  namespace?: string;
  [k: string]: unknown;
}

export interface ProviderRun {
  /** dynamic.Configuration per provider name: "kubernetescrd", "kubernetes". */
  configurations: Record<string, any>;
  logs: ProviderLog[];
}

/**
 * The provider options of the chart's rendered Traefik container args, as traefik-crd flags. Only
 * the options the chart renders are mapped; any other `--providers.kubernetes*` flag fails here, by
 * name, so a new chart default cannot slip past the test unread.
 */
export function providerFlagsFromChartArgs(args: string[]): string[] {
  const providers: string[] = [];
  const flags: string[] = [];
  const both: Record<string, boolean | undefined> = {};
  for (const a of args) {
    const m = /^--providers\.(kubernetescrd|kubernetesingress)(?:\.([A-Za-z.]+))?(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const [, provider, key, value] = m;
    if (!key) {
      providers.push(provider === "kubernetescrd" ? "kubernetescrd" : "kubernetes");
      continue;
    }
    switch (key) {
      case "allowEmptyServices":
      case "allowExternalNameServices": {
        const v = value === "true";
        if (both[key] !== undefined && both[key] !== v)
          throw new Error(`chart args: ${key} differs between the two providers; traefik-crd passes one value to both`);
        both[key] = v;
        break;
      }
      case "allowCrossNamespace":
        if (provider !== "kubernetescrd") throw new Error(`chart args: unexpected ${a}`);
        flags.push(`--allow-cross-namespace=${value === "true"}`);
        break;
      case "namespaces":
        flags.push(`--namespaces=${value}`);
        break;
      // Status of the Ingress objects (the LoadBalancer address); the tests read no status.
      case "ingressendpoint.publishedservice":
        break;
      default:
        throw new Error(`chart args: ${a} is not mapped to a traefik-crd option (test/traefik/traefik.ts providerFlagsFromChartArgs)`);
    }
  }
  if (both["allowEmptyServices"] !== undefined) flags.push(`--allow-empty-services=${both["allowEmptyServices"]}`);
  if (both["allowExternalNameServices"] !== undefined) flags.push(`--allow-external-name-services=${both["allowExternalNameServices"]}`);
  if (!providers.length) throw new Error("chart args: neither --providers.kubernetescrd nor --providers.kubernetesingress is rendered");
  return [`--providers=${providers.join(",")}`, ...flags];
}

/** Runs Traefik's providers against the API server of `kubeconfig` until each gave its first configuration. */
export function runProviders(kubeconfig: string, flags: string[], timeoutSeconds = 60): Promise<ProviderRun> {
  return new Promise((resolve, reject) => {
    execFile(
      TRAEFIK_CRD,
      ["config", `--kubeconfig=${kubeconfig}`, `--timeout=${timeoutSeconds}s`, ...flags],
      { maxBuffer: 64 << 20, timeout: (timeoutSeconds + 30) * 1000, env: { PATH: process.env["PATH"], HOME: process.env["HOME"] } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`traefik-crd config failed: ${String(err)}\n${stderr}\n${stdout.slice(0, 4000)}`));
        const out = JSON.parse(stdout) as { configurations: Record<string, any>; logs: ProviderLog[] };
        resolve({ configurations: out.configurations, logs: out.logs });
      },
    );
  });
}

/** The providers' lines at `level` (error, warn), as "message: error" strings. */
export function logLines(run: ProviderRun, ...levels: string[]): string[] {
  return run.logs
    .filter((l) => levels.includes(l.level))
    .map((l) => `${l.providerName ?? "?"} ${l.namespace ? `${l.namespace}/` : ""}${l.ingress ?? ""}: ${l.message ?? ""}${l.error ? `: ${l.error}` : ""}`);
}

/** traefik-crd serve's config (ours; `middlewares` are Traefik dynamic.Middleware objects). */
export interface ServeConfig {
  entryPoints: Record<string, { address: string; tls: boolean }>;
  certFile: string;
  keyFile: string;
  middlewares: Record<string, Record<string, unknown>>;
  routes: { entryPoints: string[]; host: string; pathPrefix: string; middlewares: string[]; backend: string }[];
}

export interface TraefikServe {
  /** Bound address per entry point, host:port. */
  entryPoints: Record<string, string>;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `traefik-crd serve --config <file>` and waits until it printed its bound entry points. */
export function startTraefikServe(configFile: string): Promise<TraefikServe> {
  return new Promise((resolve, reject) => {
    let out = "";
    const child: ChildProcess = spawn(TRAEFIK_CRD, ["serve", `--config=${configFile}`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env["PATH"], HOME: process.env["HOME"] },
    });
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`traefik-crd serve did not start within 15 s:\n${out}`))), 15_000);
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`traefik-crd serve exited (${code}):\n${out}`));
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{") && l.includes('"ready":true'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { entryPoints: Record<string, string> };
      resolve({
        entryPoints: ready.entryPoints,
        output: () => out,
        stop: async () => {
          if (child.exitCode !== null) return;
          child.removeAllListeners("exit");
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}
