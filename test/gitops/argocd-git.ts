// A Git repository served over the smart HTTP protocol on loopback, the way a Git host serves
// https:// clones: a tiny Node HTTP server hands every request to the real `git http-backend`
// (git's own CGI program, shipped with git) and relays its answer. Argo CD's repo-server then
// talks to it exactly as to GitHub: go-git's ls-remote for branch resolution, the git CLI for
// fetch and checkout.
//
// Why HTTP and not file:// or git://: the music team's Applications use an https:// repository
// URL; smart HTTP exercises the same client code paths (go-git's HTTP transport, `git fetch`
// over HTTP, Argo CD's HTTPS credential lookup with no credential) minus TLS. A file:// URL
// would skip the transport altogether.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface GitHttpServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Every request served: "<method> <path>?<query> -> <status>". */
  requests: string[];
  close(): Promise<void>;
}

/** Runs `git` with a fixed identity and no user/system config, failing with git's own message. */
export function git(cwd: string, args: string[]): string {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env["PATH"],
        HOME: cwd,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_AUTHOR_NAME: "Release Bot",
        GIT_AUTHOR_EMAIL: "release-bot@example.com",
        GIT_COMMITTER_NAME: "Release Bot",
        GIT_COMMITTER_EMAIL: "release-bot@example.com",
      },
    }).trim();
  } catch (e: any) {
    throw new Error(`git ${args.join(" ")} (in ${cwd}) failed: ${e.stderr ?? e.message}`);
  }
}

/** Creates the bare repository `<root>/<name>.git` that the server will serve. */
export function createBareRepo(root: string, name: string): string {
  const dir = join(root, `${name}.git`);
  mkdirSync(dir, { recursive: true });
  git(dir, ["init", "--bare", "--quiet", "--initial-branch=main"]);
  return dir;
}

function cgi(root: string, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): void {
  const url = new URL(req.url ?? "/", "http://loopback");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: "",
    SERVER_PROTOCOL: "HTTP/1.1",
    GATEWAY_INTERFACE: "CGI/1.1",
  };
  if (req.headers["content-length"]) env["CONTENT_LENGTH"] = String(req.headers["content-length"]);
  if (req.headers["content-encoding"]) env["HTTP_CONTENT_ENCODING"] = String(req.headers["content-encoding"]);
  if (req.headers["git-protocol"]) env["GIT_PROTOCOL"] = String(req.headers["git-protocol"]);
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  child.stdout.on("data", (d: Buffer) => {
    if (headersDone) {
      res.write(d);
      return;
    }
    head = Buffer.concat([head, d]);
    const crlf = head.indexOf("\r\n\r\n");
    const lf = head.indexOf("\n\n");
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i <= 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    log(`${req.method} ${url.pathname}${url.search} -> ${status}`);
    res.write(head.subarray(end));
  });
  child.on("close", (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      log(`${req.method} ${url.pathname}${url.search} -> 500 (git http-backend exited ${code}: ${stderr.trim()})`);
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
  child.on("error", (e) => {
    res.statusCode = 500;
    res.end(String(e));
  });
  req.pipe(child.stdin);
}

/** Serves every repository under `root` at http://127.0.0.1:<port>/<name>.git (read-only: no receive-pack). */
export async function startGitHttp(root: string): Promise<GitHttpServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    if ((req.url ?? "").includes("git-receive-pack")) {
      res.statusCode = 403;
      res.end("read-only");
      requests.push(`${req.method} ${req.url} -> 403`);
      return;
    }
    cgi(root, req, res, (l) => requests.push(l));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
