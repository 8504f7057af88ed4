// A minimal Kubernetes API client over node:https: JSON requests and watches with a bearer
// token, verifying the API server against the cluster CA. Enough for the stand-in loops and
// the tests; no dependencies.
import { request as httpsRequest, type RequestOptions } from "node:https";

export interface KubeResponse<T = any> {
  status: number;
  body: T;
  /** `Warning` headers (e.g. Pod Security "would violate" warnings). */
  warnings: string[];
}

export interface KubeClientOptions {
  url: string;
  token: string;
  ca: string | Buffer;
  /** Extra headers on every request (e.g. Impersonate-User). */
  headers?: Record<string, string>;
}

export class KubeError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: any,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${typeof body === "object" && body?.message ? body.message : JSON.stringify(body)}`);
  }
}

export interface WatchEvent<T = any> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export class KubeClient {
  constructor(readonly opts: KubeClientOptions) {}

  /** A client with the same server and CA but another identity or extra headers. */
  with(over: Partial<KubeClientOptions>): KubeClient {
    return new KubeClient({ ...this.opts, ...over, headers: { ...this.opts.headers, ...over.headers } });
  }

  private options(method: string, path: string, extra: Record<string, string | number>, timeoutMs: number): RequestOptions & { href: string } {
    return {
      href: `${this.opts.url}${path}`,
      method,
      ca: this.opts.ca,
      headers: { authorization: `Bearer ${this.opts.token}`, accept: "application/json", ...this.opts.headers, ...extra },
      timeout: timeoutMs,
    };
  }

  /** Any status is returned (no throw); network errors reject. */
  request<T = any>(method: string, path: string, body?: unknown, contentType = "application/json", timeoutMs = 30_000): Promise<KubeResponse<T>> {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const { href, ...o } = this.options(
      method,
      path,
      data === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(data) },
      timeoutMs,
    );
    return new Promise((resolve, reject) => {
      const req = httpsRequest(href, o, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text, e.g. /readyz */
          }
          const w = res.headers.warning;
          const warnings = w === undefined ? [] : Array.isArray(w) ? w : [w];
          resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** Like request, but throws KubeError unless the status is 2xx. */
  async must<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.request<T>(method, path, body, contentType);
    if (r.status < 200 || r.status >= 300) throw new KubeError(method, path, r.status, r.body);
    return r.body;
  }

  get<T = any>(path: string): Promise<KubeResponse<T>> {
    return this.request<T>("GET", path);
  }
  create<T = any>(path: string, body: unknown): Promise<KubeResponse<T>> {
    return this.request<T>("POST", path, body);
  }
  mergePatch<T = any>(path: string, body: unknown): Promise<KubeResponse<T>> {
    return this.request<T>("PATCH", path, body, "application/merge-patch+json");
  }
  delete<T = any>(path: string, body?: unknown): Promise<KubeResponse<T>> {
    return this.request<T>("DELETE", path, body);
  }

  /**
   * Streams watch events of a collection (path without query) until `signal` aborts or the
   * server closes the stream. Resolves with the last resourceVersion seen.
   */
  watchOnce(path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<string> {
    const q = `?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    const { href, ...o } = this.options("GET", path + q, {}, 0);
    let rv = resourceVersion;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return resolve(rv);
      const req = httpsRequest(href, { ...o, signal }, (res) => {
        if (res.statusCode !== 200) {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => reject(new KubeError("WATCH", path, res.statusCode ?? 0, text)));
          return;
        }
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as WatchEvent;
            if (ev.type === "ERROR") {
              // 410 Gone: our resourceVersion is too old; the caller relists.
              req.destroy(new KubeError("WATCH", path, ev.object?.code ?? 500, ev.object));
              return;
            }
            const v = ev.object?.metadata?.resourceVersion;
            if (v) rv = v;
            if (ev.type !== "BOOKMARK") onEvent(ev);
          }
        });
        res.on("end", () => resolve(rv));
        res.on("error", (e) => (signal.aborted ? resolve(rv) : reject(e)));
      });
      req.on("error", (e) => (signal.aborted ? resolve(rv) : reject(e)));
      req.end();
    });
  }

  /**
   * List-then-watch forever (until `signal` aborts): `onEvent` gets every object of the list as
   * ADDED, then the watch events; on any error it waits a second and relists.
   */
  async informer(path: string, onEvent: (e: WatchEvent) => void | Promise<void>, signal: AbortSignal, onError?: (err: unknown) => void): Promise<void> {
    while (!signal.aborted) {
      try {
        const list = await this.must("GET", path);
        let rv: string = list.metadata?.resourceVersion ?? "0";
        for (const item of list.items ?? []) {
          try {
            await onEvent({ type: "ADDED", object: item });
          } catch (err) {
            onError?.(err);
          }
        }
        while (!signal.aborted) {
          // Events are handled one at a time, in order; a failing handler does not stop the watch.
          let running: Promise<void> = Promise.resolve();
          rv = await this.watchOnce(
            path,
            rv,
            (e) => {
              running = running.then(() => onEvent(e)).catch((err) => onError?.(err));
            },
            signal,
          );
          await running;
        }
      } catch (err) {
        if (signal.aborted) return;
        onError?.(err);
        await sleep(1000, signal);
      }
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ""}`);
    }
    await sleep(intervalMs);
  }
}
