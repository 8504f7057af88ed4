/**
 * What a Helm release really installs: the chart rendered by the real `helm template` with the
 * release's own values, CRDs included. The order check needs it (which release serves which kind,
 * which kinds a chart's own objects need), and nothing else can know it: crds/ folders, subcharts
 * and values-gated templates differ per chart version.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { ChartFacts } from "./order";

export interface ReleaseInputs {
  name?: string;
  chart: string;
  version?: string;
  namespace?: string;
  values?: Record<string, unknown>;
  repositoryOpts?: { repo?: string };
  skipCrds?: boolean;
}

export const KUBE_VERSION = "1.36.3";

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** `helm template` of one release; throws with helm's own message. */
export async function renderRelease(helmBin: string, r: ReleaseInputs, apiVersions: string[] = []): Promise<any[]> {
  const dir = mkdtempSync(join(tmpdir(), "chart-facts-"));
  try {
    const values = join(dir, "values.json");
    writeFileSync(values, JSON.stringify(r.values ?? {}));
    const args = ["template", r.name ?? "release", r.chart, "--namespace", r.namespace ?? "default", "--values", values, "--kube-version", KUBE_VERSION];
    if (!r.skipCrds) args.push("--include-crds");
    if (r.version && !r.chart.endsWith(".tgz")) args.push("--version", r.version);
    if (r.repositoryOpts?.repo) args.push("--repo", r.repositoryOpts.repo);
    for (const v of apiVersions) args.push("--api-versions", v);
    const out = await run(helmBin, args);
    if (out.code !== 0) throw new Error(`helm template ${r.chart}: ${out.stderr.trim()}`);
    return parseAllDocuments(out.stdout)
      .map((d) => d.toJSON())
      .filter((o) => o && typeof o === "object" && o.kind);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `group/Kind` of the CRDs a release installs and of everything else it renders. */
export function factsOf(objects: any[]): ChartFacts {
  const crds = new Set<string>();
  const kinds = new Set<string>();
  for (const o of objects) {
    if (o.kind === "CustomResourceDefinition" && o.spec?.group && o.spec?.names?.kind) crds.add(`${o.spec.group}/${o.spec.names.kind}`);
    else {
      const api = String(o.apiVersion ?? "");
      const group = api.includes("/") ? api.split("/")[0] : "";
      kinds.add(`${group}/${o.kind}`);
    }
  }
  return { crds: [...crds].sort(), kinds: [...kinds].sort() };
}

/**
 * `group/Kind` of every CRD anywhere in a chart archive (crds/ folders, templates, subcharts),
 * read as text without rendering: a fast, values-independent superset of what a release installs.
 */
export function archiveCrds(tgz: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "chart-archive-"));
  try {
    execFileSync("tar", ["-xzf", tgz, "-C", dir]);
    const out = new Set<string>();
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ya?ml|tpl)$/.test(e.name)) {
          for (const doc of readFileSync(p, "utf8").split(/^---/m)) {
            if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(doc)) continue;
            const group = /^\s{2}group:\s*"?([a-z0-9.-]+)"?\s*$/m.exec(doc)?.[1];
            const kind = /^\s{2}names:\s*$[\s\S]*?^\s{4}kind:\s*"?(\w+)"?\s*$/m.exec(doc)?.[1];
            if (group && kind) out.add(`${group}/${kind}`);
          }
        }
      }
    };
    walk(dir);
    return [...out].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
