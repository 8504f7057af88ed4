/**
 * Read a committed stack file (`Pulumi.<stack>.yaml`) into the `platform:*` config the spec loads,
 * without decrypting anything: a `{ secure: … }` value becomes the string `[secret]`, and its path
 * is listed (it is SET, which is what preflight needs to know; its value never matters here).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../spec/load";

export interface StackFile {
  stack: string;
  file: string;
  /** `platform:*` keys without the namespace, values as in the file (secure leaves → `[secret]`). */
  platform: Record<string, unknown>;
  /** Every config key of the file (any namespace), with secure leaves as `[secret]`. */
  all: Record<string, unknown>;
  /** Paths of secure values, e.g. `platform:secrets.mailgunApiKey`. */
  secure: string[];
}

export const SECRET_MARK = "[secret]";

function strip(v: unknown, at: string, secure: string[]): unknown {
  if (Array.isArray(v)) return v.map((x, i) => strip(x, `${at}[${i}]`, secure));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") {
      secure.push(at);
      return SECRET_MARK;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, strip(x, `${at}.${k}`, secure)]));
  }
  return v;
}

export function listStackFiles(root = PROJECT_DIR): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function readStackFileAt(file: string, stack: string): StackFile {
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const secure: string[] = [];
  const all: Record<string, unknown> = {};
  const platform: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(doc.config ?? {})) {
    const v = strip(raw, key, secure);
    all[key] = v;
    if (key.startsWith("platform:")) platform[key.slice("platform:".length)] = v;
  }
  return { stack, file, platform, all, secure };
}

export function readStackFile(stack: string, root = PROJECT_DIR): StackFile {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`no stack '${stack}': expected ${file} (stacks: ${listStackFiles(root).join(", ")})`);
  return readStackFileAt(file, stack);
}
