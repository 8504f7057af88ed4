/**
 * Where does the time go? Profiles one bench job with `node --cpu-prof` and prints self time
 * aggregated by package (node_modules/<pkg>) or repository directory, and the top functions.
 *
 *   npx tsx bench/profile.ts '{"kind":"stack","stack":"prod","preview":true}' [--env K=V]
 *   npx tsx bench/profile.ts --read <file.cpuprofile>
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Bucket of a script URL: `@pulumi/aws`, `zod`, `repo:components/service`, `node:internal`, … */
export function bucketOf(url: string, root: string): string {
  if (!url) return "(native/gc/idle)";
  if (url.startsWith("node:")) return "node:internal";
  const file = url.replace(/^file:\/\//, "");
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = file.slice(nm + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (file.startsWith(root)) {
    const rel = path.relative(root, file).split(path.sep);
    return `repo:${rel.slice(0, Math.min(2, rel.length - 1)).join("/") || rel[0]}`;
  }
  return "other";
}

export function aggregate(p: Profile, root: string): { byBucket: [string, number][]; byFunction: [string, number][]; totalMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    total += us;
    const b = n.callFrame.functionName === "(idle)" ? "(idle)" : bucketOf(n.callFrame.url, root);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    const f = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^file:\/\//, "").replace(root + "/", "")}:${n.callFrame.lineNumber + 1}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const sort = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000] as [string, number]);
  return { byBucket: sort(buckets), byFunction: sort(fns).slice(0, 25), totalMs: total / 1000 };
}

function print(file: string, root: string): void {
  const a = aggregate(JSON.parse(readFileSync(file, "utf8")) as Profile, root);
  process.stdout.write(`profile ${file}: ${a.totalMs.toFixed(0)} ms sampled\n\nself time by package:\n`);
  for (const [k, v] of a.byBucket.slice(0, 25))
    process.stdout.write(`  ${v.toFixed(0).padStart(7)} ms  ${((100 * v) / a.totalMs).toFixed(1).padStart(5)} %  ${k}\n`);
  process.stdout.write("\ntop functions (self):\n");
  for (const [k, v] of a.byFunction) process.stdout.write(`  ${v.toFixed(0).padStart(7)} ms  ${k}\n`);
}

function main(): void {
  const root = path.resolve(__dirname, "..");
  const args = process.argv.slice(2);
  if (args[0] === "--read") return print(args[1]!, root);
  const job = args[0];
  if (!job) throw new Error("usage: bench/profile.ts '<job JSON>' [--env K=V] | --read <file>");
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (let i = 1; i < args.length; i++)
    if (args[i] === "--env") {
      const [k, ...v] = args[++i]!.split("=");
      env[k!] = v.join("=");
    }
  const dir = mkdtempSync(path.join(tmpdir(), "bench-prof-"));
  const r = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--import", "tsx", "bench/one.ts", job, path.join(dir, "result.json")], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error(`profiled run exited ${r.status}`);
  process.stdout.write(`${readFileSync(path.join(dir, "result.json"), "utf8")}\n`);
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) print(path.join(dir, f), root);
}

main();
