// Child processes that die with their parent: every component is started through util-linux
// `setpriv --pdeathsig SIGTERM` (setpriv sets PR_SET_PDEATHSIG and execs the component, so the
// pid is the component's own), so the kernel sends SIGTERM to it when the Node process that
// spawned it exits for any reason, SIGKILL included. stop() sends SIGTERM and escalates to
// SIGKILL. Output goes to <dir>/logs/<name>.log and a bounded in-memory tail.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";

const TAIL_BYTES = 64 * 1024;

let setprivChecked = false;
function checkSetpriv(): void {
  if (setprivChecked) return;
  try {
    const help = execFileSync("setpriv", ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (!help.includes("--pdeathsig")) throw new Error("this setpriv has no --pdeathsig");
  } catch (e) {
    throw new Error(`setpriv with --pdeathsig (util-linux >= 2.33) is required so that components die with their parent: ${String(e)}`);
  }
  setprivChecked = true;
}

export class Component {
  readonly logFile: string;
  private tailText = "";
  private out: WriteStream;
  private exited: Promise<void>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${name}.log`);
    this.out = createWriteStream(this.logFile, { flags: "a" });
    this.out.on("error", () => {
      /* the log directory was removed under us; keep the in-memory tail */
    });
    const onData = (d: Buffer) => {
      this.out.write(d);
      this.tailText = (this.tailText + d.toString("utf8")).slice(-TAIL_BYTES);
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      proc.once("error", (err) => {
        this.tailText += `\n[spawn error] ${String(err)}\n`;
        this.exitInfo = { code: -1, signal: null };
        resolve();
      });
    });
  }

  static start(name: string, bin: string, args: string[], logDir: string, env?: NodeJS.ProcessEnv): Component {
    checkSetpriv();
    mkdirSync(logDir, { recursive: true });
    const proc = spawn("setpriv", ["--pdeathsig", "SIGTERM", "--", bin, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: env ?? process.env,
    });
    const c = new Component(name, proc, logDir);
    c.out.write(`\n==== ${new Date().toISOString()} start ${bin} ${args.join(" ")}\n`);
    return c;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get running(): boolean {
    return this.exitInfo === undefined;
  }
  tail(): string {
    return this.tailText;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    await new Promise<void>((r) => this.out.end(r));
  }
}
