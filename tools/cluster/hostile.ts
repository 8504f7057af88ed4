/**
 * The most hostile order, for real: a loopback proxy in front of the embedded API server that
 * holds back every request creating a *prerequisite* — a Namespace or a CustomResourceDefinition —
 * for longer than the Kubernetes provider keeps retrying, then lets it through.
 *
 * Why this finds missing dependencies every time instead of by luck: the engine starts a resource
 * as soon as everything it *declares* a dependency on has finished. A ConfigMap that only names its
 * namespace (no dependsOn, no output of the Namespace resource) is sent at once; the provider
 * retries "namespaces not found" and "no matches for kind" for about 31 s (pulumi-kubernetes
 * provider/pkg/await/await.go `Creation`: `SleepingRetry(...).WithMaxRetries(5).WithBackoffFactor(2)`,
 * first wait 1 s: 1+2+4+8+16 s) and then fails. On an idle test cluster the Namespace is there
 * in milliseconds and the retry hides the mistake; on a real cluster behind a slow Helm release
 * (cert-manager waiting for its pods, a CRD bundle of 25 kinds) it does not. Holding every
 * prerequisite longer than that window turns "can go first" into "goes first and fails" — for every
 * object, on every run. A resource that declares its dependency simply waits: the engine does not
 * start it until the held create returns.
 *
 * One exception, for Helm's CRD install: Helm creates the files of a chart's `crds/` folder ONE AT A
 * TIME, each after the previous one returned (action/install.go installCRDs), so holding each would
 * hold the chart's N CRDs N times in a row (traefik's 25: 19 minutes). A CRD create that arrives
 * within `chainGapMs` of the previous CRD create's response is the next file of such a chain and
 * passes straight through (recorded in `chained`): the chain as a whole is still held `holdMs` from
 * its first create, so a custom resource sent at the chain's start without declaring its dependency
 * still outlives the provider's retries and fails.
 *
 * What is held: non-dry-run POST/PUT/PATCH that create or apply a Namespace
 * (`/api/v1/namespaces[/<name>]`) or a CRD (`/apis/apiextensions.k8s.io/v1/customresourcedefinitions[/<name>]`),
 * whoever sends them — the provider's server-side apply or Helm inside the provider (a release's
 * CRDs, `createNamespace`). Reads, deletes, dry runs and everything else pass straight through, so
 * the second run's preview and the destroy are unaffected.
 *
 * The proxy terminates TLS with the API server's own serving certificate (its SANs include
 * 127.0.0.1), so the kubeconfig it writes is the admin kubeconfig with the proxy's port.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Agent, createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ControlPlane, kubeconfig } from "./controlplane";

/** Longer than the provider's create retry window (31 s), with margin for the request itself. */
export const DEFAULT_HOLD_MS = 45_000;
/** A CRD create this soon after the previous CRD create's response is the next file of Helm's sequential `crds/` install. */
export const DEFAULT_CHAIN_GAP_MS = 2_000;

export interface HeldRequest {
  kind: "Namespace" | "CustomResourceDefinition";
  name: string;
  method: string;
  /** When the request arrived, ms since the proxy started. */
  atMs: number;
}

export interface HostileProxy {
  url: string;
  /** The admin kubeconfig, pointed at the proxy. */
  kubeconfigPath: string;
  holdMs: number;
  /** Every prerequisite create the proxy held back, in arrival order. */
  held: HeldRequest[];
  chainGapMs: number;
  /** CRD creates passed straight through as the next file of a chain whose first create was held. */
  chained: HeldRequest[];
  stop(): Promise<void>;
}

/** The prerequisite a request creates, or undefined when it passes straight through. */
export function prerequisiteOf(method: string, rawUrl: string): { kind: HeldRequest["kind"]; name: string } | undefined {
  if (!["POST", "PUT", "PATCH"].includes(method)) return undefined;
  const u = new URL(rawUrl, "https://proxy.invalid");
  if (u.searchParams.getAll("dryRun").length > 0) return undefined;
  let m = /^\/api\/v1\/namespaces(?:\/([^/]+))?\/?$/.exec(u.pathname);
  if (m) return { kind: "Namespace", name: m[1] ?? "(from body)" };
  m = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions(?:\/([^/]+))?\/?$/.exec(u.pathname);
  if (m) return { kind: "CustomResourceDefinition", name: m[1] ?? "(from body)" };
  return undefined;
}

/** metadata.name of a JSON request body (Helm and the provider send JSON); "(from body)" when unreadable. */
function nameInBody(body: Buffer): string {
  try {
    const name = (JSON.parse(body.toString("utf8")) as { metadata?: { name?: unknown } }).metadata?.name;
    return typeof name === "string" && name ? name : "(from body)";
  } catch {
    return "(from body)";
  }
}

export async function startHostileProxy(
  cp: ControlPlane,
  o: { holdMs?: number; chainGapMs?: number; log?: (line: string) => void } = {},
): Promise<HostileProxy> {
  const holdMs = o.holdMs ?? DEFAULT_HOLD_MS;
  const chainGapMs = o.chainGapMs ?? DEFAULT_CHAIN_GAP_MS;
  const chained: HeldRequest[] = [];
  /** When the last CRD create's response ended (ms since start); -Infinity before the first. */
  let crdDoneAt = -Infinity;
  const upstream = new URL(cp.url);
  const agent = new Agent({ keepAlive: true, ca: cp.caPem, maxSockets: 256 });
  const started = Date.now();
  const held: HeldRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`hostile-order proxy: upstream ${cp.url}: ${err.message}`);
    });
    res.on("close", () => up.destroy());
    if (body) up.end(body);
    else req.pipe(up);
  };

  const server = createServer(
    { cert: readFileSync(join(cp.dir, "pki", "apiserver.crt")), key: readFileSync(join(cp.dir, "pki", "apiserver.key")) },
    (req, res) => {
      const p = prerequisiteOf(req.method ?? "GET", req.url ?? "/");
      if (!p) return forward(req, res);
      // Read the whole body while holding (the client's write never stalls on back-pressure, and a
      // POST names its object only there), then send it on after the hold.
      const arrived = Date.now() - started;
      const crd = p.kind === "CustomResourceDefinition";
      if (crd) res.on("finish", () => (crdDoneAt = Date.now() - started));
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const name = p.name === "(from body)" ? nameInBody(body) : p.name;
        const record = { kind: p.kind, name, method: req.method ?? "", atMs: arrived };
        if (crd && arrived - crdDoneAt <= chainGapMs) {
          chained.push(record);
          return forward(req, res, body);
        }
        held.push(record);
        o.log?.(`holding ${p.kind} ${name} for ${holdMs / 1000}s (anything that only names it goes first)`);
        const t = setTimeout(() => {
          timers.delete(t);
          forward(req, res, body);
        }, holdMs);
        timers.add(t);
      });
    },
  );
  // Watches and Helm's waits are long-lived: no server-side request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  server.timeout = 0;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;

  const kubeconfigPath = join(cp.dir, "hostile.kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfig(url, cp.caPem, "admin", cp.adminToken), { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    holdMs,
    held,
    chainGapMs,
    chained,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
