/**
 * The child process of `npm run plan -- --program`: runs one foreign Pulumi program under mocks
 * attached to the program's OWN @pulumi/pulumi (resolved from its project directory, as the
 * Pulumi CLI's Node.js host does), records every registration like the engine would see it, and
 * writes the result as JSON to the file named in the job. Started by scripts/foreign/run.ts with a
 * scrubbed environment and the project's working copy as its working directory; never run it
 * directly.
 *
 *   tsx scripts/foreign/child.ts <job.json>
 *
 * It never waits forever: every invoke is answered (scripts/foreign/invokes.ts) and at the job's
 * deadline it writes what it has, with the registrations and invokes still in flight, and exits.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { computedOutputs, mockId } from "../../tools/mockcloud/answers";
import { answerInvoke, fixStoredIdForGetResource } from "./invokes";
import { placeholderValue, type ChildJob, type ChildResult, type RecordedResource } from "./types";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN = "<unknown>";

function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (!base) return safe.startsWith('"') ? `[${safe}]` : safe;
  return safe.startsWith('"') ? `${base}[${safe}]` : `${base}.${safe}`;
}

/** Serialized property values -> plain data with secret and unknown paths (as tools/harness/run.ts). */
function decode(raw: unknown): { value: unknown; secretPaths: string[]; unknownPaths: string[] } {
  const secretPaths: string[] = [];
  const unknownPaths: string[] = [];
  const walk = (v: unknown, p: string): unknown => {
    if (v === UNKNOWN_VALUE) {
      unknownPaths.push(p);
      return UNKNOWN;
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, joinPath(p, i)));
    const o = v as Record<string, unknown>;
    switch (o[SIG]) {
      case SECRET_SIG:
        secretPaths.push(p);
        return walk(o.value, p);
      case ASSET_SIG:
        return o.text !== undefined ? { text: o.text } : o.path !== undefined ? { path: o.path } : { uri: o.uri };
      case ARCHIVE_SIG:
        return o.assets !== undefined ? { assets: walk(o.assets, p) } : o.path !== undefined ? { path: o.path } : { uri: o.uri };
      case RESOURCE_SIG:
        return o.id !== undefined && o.id !== "" ? walk(o.id, p) : o.urn;
      case OUTPUT_SIG:
        if (o.secret === true) secretPaths.push(p);
        if (o.value === undefined) {
          unknownPaths.push(p);
          return UNKNOWN;
        }
        return walk(o.value, p);
    }
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(o)) if (e !== undefined) out[k] = walk(e, joinPath(p, k));
    return out;
  };
  return { value: walk(raw, ""), secretPaths, unknownPaths };
}

const job = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as ChildJob;
const result: ChildResult = {
  ok: false,
  resources: [],
  outputs: {},
  secretOutputPaths: [],
  remote: [],
  invokes: [],
  placeholders: [],
  errors: [],
  pending: [],
  timedOut: false,
  pulumiVersion: "",
};
let written = false;
const records: RecordedResource[] = [];
const invokeCounts = new Map<string, { token: string; kind: string; count: number }>();
function finish(code: number): never {
  if (!written) {
    written = true;
    const stackRes = records.find((r) => r.type === "pulumi:pulumi:Stack");
    result.resources = records;
    result.outputs = stackRes?.outputs ?? {};
    result.secretOutputPaths = stackRes?.outputSecretPaths ?? [];
    result.invokes = [...invokeCounts.values()];
    fs.writeFileSync(job.out, JSON.stringify(result));
  }
  process.exit(code);
}

const pending = new Map<number, string>();
let seq = 0;
const track = (what: string): (() => void) => {
  const id = ++seq;
  pending.set(id, what);
  return () => pending.delete(id);
};

// The deadline: write what there is, name what is still in flight.
const timer = setTimeout(() => {
  result.timedOut = true;
  result.pending = [...new Set(pending.values())];
  result.errors.push(`the program did not finish within ${Math.round(job.timeoutMs / 1000)} s`);
  finish(3);
}, job.timeoutMs);

async function main(): Promise<void> {
  const req = createRequire(path.join(job.cwd, "__plan__.js"));
  let pulumiMain: string;
  try {
    pulumiMain = req.resolve("@pulumi/pulumi");
  } catch {
    result.errors.push(`no @pulumi/pulumi installed for ${job.projectDir}: run the program's install step first (\`${job.installHint}\` in ${job.projectDir})`);
    result.missingInstall = true;
    finish(2);
  }
  const pulumiRoot = path.dirname(pulumiMain);
  const preq = createRequire(pulumiMain);
  const pulumi = preq(pulumiMain);
  const mocksMod = preq(path.join(pulumiRoot, "runtime", "mocks"));
  const settings = preq(path.join(pulumiRoot, "runtime", "settings"));
  const stackMod = preq(path.join(pulumiRoot, "runtime", "stack"));
  result.pulumiVersion = String(JSON.parse(fs.readFileSync(path.join(pulumiRoot, "package.json"), "utf8")).version);

  const preview = job.preview;
  const mocks = {
    newResource(args: { type: string; name: string; inputs: Record<string, any>; custom?: boolean }) {
      const inputs = args.inputs;
      if (args.type === "pulumi:pulumi:StackReference") {
        // Another stack's outputs: not readable without its backend. Known-empty, reported.
        return { id: inputs.name ?? args.name, state: { name: inputs.name ?? args.name, outputs: {}, secretOutputNames: [] } };
      }
      if (preview) return { id: undefined, state: inputs };
      return { id: mockId(args.type, args.name, inputs), state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, job.region) } };
    },
    call(args: { token: string; inputs: Record<string, any> }) {
      const a = answerInvoke(args.token, args.inputs ?? {}, job.region);
      const k = `${args.token}|${a.kind}`;
      const c = invokeCounts.get(k) ?? { token: args.token, kind: a.kind, count: 0 };
      c.count++;
      invokeCounts.set(k, c);
      return a.result;
    },
  };

  const byUrn = new Map<string, RecordedResource>();
  let pendingSecretOutputs: string[] = [];
  const monitor = new mocksMod.MockMonitor({
    newResource: (args: any) => {
      const secretKeys = pendingSecretOutputs;
      const r = mocks.newResource(args) as { id: string | undefined; state: Record<string, any> };
      if (secretKeys.length === 0 || !r?.state) return r;
      const state = { ...r.state };
      for (const k of secretKeys) if (state[k] !== undefined) state[k] = { [SIG]: SECRET_SIG, value: state[k] };
      return { ...r, state };
    },
    call: (args: any) => mocks.call(args),
  });
  monitor.newUrn = (parent: string, type: string, name: string): string => {
    if (parent) {
      const qualified = parent.split("::")[2] ?? "";
      if (qualified !== "pulumi:pulumi:Stack") type = `${qualified}$${type}`;
    }
    return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${type}::${name}`;
  };
  const superRegister = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (rq: any, callback: (err: any, resp: any) => void) => {
    const type: string = rq.getType();
    const name: string = rq.getName();
    const done = track(`resource ${type} '${name}'`);
    const parent: string = rq.getParent();
    const decoded = decode(rq.getObject()?.toJavaScript() ?? {});
    const propDeps: Record<string, string[]> = {};
    rq.getPropertydependenciesMap?.().forEach((v: any, k: string) => {
      propDeps[k] = v.getUrnsList();
    });
    const timeouts = rq.getCustomtimeouts?.();
    const call = (f: string, d: unknown = undefined) => (typeof rq[f] === "function" ? rq[f]() : d);
    const record: Omit<RecordedResource, "urn"> = {
      type,
      name,
      custom: rq.getCustom(),
      ...(parent ? { parent } : {}),
      ...(rq.getProvider() ? { provider: rq.getProvider() } : {}),
      dependencies: rq.getDependenciesList(),
      propertyDependencies: propDeps,
      inputs: decoded.value as Record<string, unknown>,
      secretPaths: decoded.secretPaths,
      unknownPaths: decoded.unknownPaths,
      options: {
        protect: call("getProtect") === true,
        retainOnDelete: call("getRetainondelete") === true,
        deleteBeforeReplace: call("getDeletebeforereplace") === true,
        ignoreChanges: call("getIgnorechangesList", []),
        additionalSecretOutputs: call("getAdditionalsecretoutputsList", []),
        aliases: call("getAliasurnsList", []),
        ...(call("getDeletedwith") ? { deletedWith: call("getDeletedwith") } : {}),
        replaceOnChanges: call("getReplaceonchangesList", []),
        ...(timeouts
          ? {
              customTimeouts: {
                ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
                ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
                ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
              },
            }
          : {}),
        ...(call("getVersion") ? { version: call("getVersion") } : {}),
      },
    };
    const remote = call("getRemote") === true;
    pendingSecretOutputs = call("getAdditionalsecretoutputsList", []);
    await superRegister(rq, (err: any, resp: any) => {
      done();
      if (!err && resp) {
        const urn: string = resp.getUrn();
        if (byUrn.has(urn)) {
          const msg = `duplicate resource URN '${urn}': two resources of type ${type} are named '${name}' under the same parent`;
          result.errors.push(msg);
          callback(new Error(msg), undefined);
          return;
        }
        const full = { urn, ...record } as RecordedResource;
        records.push(full);
        byUrn.set(urn, full);
        if (remote) result.remote.push(urn);
      }
      callback(err, resp);
    });
  };
  const superRead = monitor.readResource.bind(monitor);
  monitor.readResource = async (rq: any, callback: (err: any, resp: any) => void) => {
    const done = track(`read ${rq.getType()} '${rq.getName()}'`);
    await superRead(rq, (err: any, resp: any) => {
      done();
      callback(err, resp);
    });
  };
  const superInvoke = monitor.invoke.bind(monitor);
  monitor.invoke = async (rq: any, callback: (err: any, resp: any) => void) => {
    const done = track(`invoke ${rq.getTok()}`);
    // Old SDKs' MockMonitor cannot answer getResource in preview (invokes.ts fixStoredIdForGetResource).
    if (rq.getTok() === "pulumi:pulumi:getResource") fixStoredIdForGetResource(monitor, rq.getArgs?.()?.toJavaScript?.()?.urn);
    await superInvoke(rq, (err: any, resp: any) => {
      done();
      if (err) result.errors.push(`invoke ${rq.getTok()} failed: ${err?.message || String(err) || "(no message)"}`);
      callback(err, resp);
    });
  };
  const superOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (rq: any, callback: (err: any, resp: any) => void) => {
    const rec = byUrn.get(rq.getUrn());
    if (rec) {
      const d = decode(rq.getOutputs()?.toJavaScript() ?? {});
      rec.outputs = d.value as Record<string, unknown>;
      rec.outputSecretPaths = d.secretPaths;
    }
    superOutputs(rq, callback);
  };
  // Remote components' `call`s (methods on components) get the same answers as invokes.
  if (typeof monitor.call === "function") {
    const superCall = monitor.call.bind(monitor);
    monitor.call = async (rq: any, callback: (err: any, resp: any) => void) => {
      const done = track(`call ${rq.getTok?.() ?? "?"}`);
      await superCall(rq, (err: any, resp: any) => {
        done();
        callback(err, resp);
      });
    };
  }

  await mocksMod.setMocks(mocks, job.project, job.stack, preview);
  settings.setMockOptions(monitor, job.project, job.stack, preview);
  if (typeof pulumi.runtime?.setAllConfig === "function") pulumi.runtime.setAllConfig(job.config, job.secretKeys);

  // Required config the stack does not set: an obvious placeholder, reported (like secure values).
  const Config = pulumi.Config;
  const placeholder = (key: string, method: string): unknown => {
    result.placeholders.push(key);
    if (/Number/.test(method)) return 1;
    if (/Boolean/.test(method)) return false;
    if (/Object/.test(method)) return {};
    return placeholderValue(key);
  };
  for (const method of Object.getOwnPropertyNames(Config.prototype)) {
    if (!/^require/.test(method)) continue;
    const original = Config.prototype[method];
    Config.prototype[method] = function (this: any, key: string, ...rest: unknown[]) {
      try {
        return original.call(this, key, ...rest);
      } catch (err) {
        if (!/missing required configuration/i.test(String((err as Error)?.message))) throw err;
        const full = key.includes(":") ? key : `${this.name}:${key}`;
        const v = placeholder(full, method);
        return /Secret/.test(method) ? pulumi.secret(v) : v;
      }
    };
  }

  const failures: string[] = [];
  process.on("unhandledRejection", (reason) => failures.push(reason instanceof Error ? reason.message || String(reason) : String(reason)));
  process.on("uncaughtException", (err) => failures.push(err instanceof Error ? err.message || String(err) : String(err)));

  const load = async (): Promise<unknown> => {
    let mod: any;
    try {
      mod = require(job.entry);
    } catch (err: any) {
      if (err?.code !== "ERR_REQUIRE_ESM" && err?.code !== "ERR_REQUIRE_ASYNC_MODULE") throw err;
      mod = await import(pathToFileURL(job.entry).href);
    }
    // As the Node.js language host: a function export is called; an ES module's default function too.
    if (typeof mod === "function") return await mod();
    if (
      mod &&
      typeof mod === "object" &&
      typeof mod.default === "function" &&
      Object.keys(mod).filter((k) => k !== "__esModule" && k !== "default").length === 0
    )
      return await mod.default();
    if (mod && typeof mod === "object" && "default" in mod && Object.keys(mod).filter((k) => k !== "__esModule" && k !== "default").length === 0)
      return mod.default;
    if (mod && typeof mod === "object") {
      const { __esModule: _e, ...rest } = mod;
      return rest;
    }
    return mod;
  };

  try {
    await stackMod.runInPulumiStack(load);
  } catch (err) {
    failures.push(err instanceof Error ? err.message || err.name : String(err));
  }
  if (typeof settings.waitForRPCs === "function") await settings.waitForRPCs();
  await new Promise((r) => setImmediate(r));

  result.errors.push(...failures.filter((f, i) => failures.indexOf(f) === i));
  result.ok = result.errors.length === 0;
  clearTimeout(timer);
  finish(0);
}

main().catch((err) => {
  result.errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  finish(2);
});
