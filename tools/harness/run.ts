/**
 * The harness: run a real Pulumi program under `pulumi.runtime.setMocks` with a recording
 * resource monitor, and return an Inventory of everything it registered.
 *
 * - `runProgram(fn, opts)` runs any program body (a function that creates resources and
 *   returns stack outputs) as the root stack, in preview mode (computed outputs unknown, as in
 *   `pulumi preview`) or update mode (mocked computed outputs known).
 * - The recording monitor sees the same RegisterResource requests the engine would: type,
 *   name, parent, provider reference, dependencies, property dependencies, options, and the
 *   serialized inputs with their secret and unknown markers intact. That is what the
 *   inventory keeps.
 * - Duplicate URNs are an error, like in the engine. Custom resources on a default provider
 *   are an error unless `allowDefaultProviders` is set (our design passes providers
 *   explicitly; raw fixtures written for other programs may opt out).
 *
 * Runs are sequential: Pulumi's runtime state is process-global. Callers must await each run.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { Inventory, InventoryResource, UNKNOWN } from "./inventory";
import { computedOutputs, invokeResult, mockId } from "../mockcloud/answers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RunOptions {
  /** true = preview (computed outputs unknown); false = update. Default false. */
  preview?: boolean;
  project?: string;
  stack?: string;
  /** Config as the engine passes it: `ns:key` -> string (objects JSON-encoded). */
  config?: Record<string, string>;
  /** Config keys whose values are secret. */
  secretKeys?: string[];
  /** Region used for mocked ARNs and endpoints. Default us-east-1. */
  region?: string;
  /** Permit custom resources on default providers (for foreign programs and raw fixtures). */
  allowDefaultProviders?: boolean;
}

/** A run that failed: the program threw, or the engine-equivalent checks rejected it. */
export class ProgramError extends Error {
  constructor(
    message: string,
    readonly errors: string[],
    readonly inventory: Inventory,
  ) {
    super(message);
    this.name = "ProgramError";
  }
}

interface Decoded {
  value: unknown;
  secretPaths: string[];
  unknownPaths: string[];
}

/** One step of an inventory path: `a.b`, `a[0]`, `a["key with spaces"]` (the form `secretPaths` and `unknownPaths` use). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (!base) return safe.startsWith('"') ? `[${safe}]` : safe;
  return safe.startsWith('"') ? `${base}[${safe}]` : `${base}.${safe}`;
}

/** Decode a serialized property value (as found in a RegisterResource request) into plain data. */
export function decodeProperty(raw: unknown, path = ""): Decoded {
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
      case OUTPUT_SIG: {
        if (o.secret === true) secretPaths.push(p);
        if (o.value === undefined) {
          unknownPaths.push(p);
          return UNKNOWN;
        }
        return walk(o.value, p);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(o)) {
      if (e === undefined) continue;
      out[k] = walk(e, joinPath(p, k));
    }
    return out;
  };
  const value = walk(raw, path);
  return { value, secretPaths, unknownPaths };
}

const DEFAULT_PROVIDER = /::pulumi:providers:[^:]+::default(_[\w.-]+)?::/;

class RecordingMonitor extends MockMonitor {
  readonly records: InventoryResource[] = [];
  readonly byUrn = new Map<string, InventoryResource>();
  readonly errors: string[] = [];

  /** additionalSecretOutputs of the registration in flight (newResource is called synchronously). */
  private pendingSecretOutputs: string[] = [];

  constructor(mocks: pulumi.runtime.Mocks) {
    // The engine marks a resource's `additionalSecretOutputs` (e.g. RandomPassword.result) secret;
    // the SDK's MockMonitor does not, so the recording monitor does it here.
    super({
      newResource: (args) => {
        const secretKeys = this.pendingSecretOutputs;
        const result = mocks.newResource(args) as { id: string | undefined; state: Record<string, any> };
        if (secretKeys.length === 0 || !result?.state) return result;
        const state = { ...result.state };
        for (const k of secretKeys) if (state[k] !== undefined) state[k] = { [SIG]: SECRET_SIG, value: state[k] };
        return { ...result, state };
      },
      call: (args) => mocks.call(args),
    });
    // URNs as the engine forms them: the qualified type is the parent's whole qualified type
    // chain plus this type, and the root stack is never part of the chain. (The SDK's
    // MockMonitor keeps only the last ancestor and includes the stack; policies and tests key
    // on real URNs.) `newUrn` is private in the SDK's typings, hence the cast.
    (this as any).newUrn = (parent: string, type: string, name: string): string => {
      if (parent) {
        const qualified = parent.split("::")[2] ?? "";
        if (qualified !== "pulumi:pulumi:Stack") type = `${qualified}$${type}`;
      }
      return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${type}::${name}`;
    };
  }

  override async registerResource(req: any, callback: (err: any, resp: any) => void): Promise<void> {
    const type: string = req.getType();
    const name: string = req.getName();
    const parent: string = req.getParent();
    const decoded = decodeProperty(req.getObject()?.toJavaScript() ?? {});
    const propDeps: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v: any, k: string) => {
      propDeps[k] = v.getUrnsList();
    });
    const timeouts = req.getCustomtimeouts();
    const record: Omit<InventoryResource, "urn"> = {
      type,
      name,
      custom: req.getCustom(),
      ...(parent ? { parent } : {}),
      ...(req.getProvider() ? { provider: req.getProvider() } : {}),
      dependencies: req.getDependenciesList(),
      propertyDependencies: propDeps,
      inputs: decoded.value as Record<string, unknown>,
      secretPaths: decoded.secretPaths,
      unknownPaths: decoded.unknownPaths,
      options: {
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        deleteBeforeReplace: req.getDeletebeforereplace() === true,
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        aliases: req.getAliasurnsList(),
        ...(req.getDeletedwith() ? { deletedWith: req.getDeletedwith() } : {}),
        replaceOnChanges: req.getReplaceonchangesList(),
        // Only the timeouts that are set: the inventory is plain JSON data (the plan cache stores it as such).
        ...(timeouts
          ? {
              customTimeouts: {
                ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
                ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
                ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
              },
            }
          : {}),
        ...(req.getVersion() ? { version: req.getVersion() } : {}),
      },
    };
    this.pendingSecretOutputs = req.getAdditionalsecretoutputsList();
    await super.registerResource(req, (err: any, resp: any) => {
      if (!err && resp) {
        const urn: string = resp.getUrn();
        if (this.byUrn.has(urn)) {
          const msg = `duplicate resource URN '${urn}': two resources of type ${type} are named '${name}' under the same parent; give one a different name`;
          this.errors.push(msg);
          callback(new Error(msg), undefined);
          return;
        }
        const full: InventoryResource = { urn, ...record };
        this.records.push(full);
        this.byUrn.set(urn, full);
      }
      callback(err, resp);
    });
  }

  override registerResourceOutputs(req: any, callback: (err: any, resp: any) => void): void {
    const rec = this.byUrn.get(req.getUrn());
    if (rec) {
      const decoded = decodeProperty(req.getOutputs()?.toJavaScript() ?? {});
      rec.outputs = decoded.value as Record<string, unknown>;
      rec.outputSecretPaths = decoded.secretPaths;
    }
    super.registerResourceOutputs(req, callback);
  }
}

/** Run `program` as a Pulumi stack under mocks and return the inventory. */
export async function runProgram(program: () => unknown | Promise<unknown>, opts: RunOptions = {}): Promise<Inventory> {
  const preview = opts.preview ?? false;
  const project = opts.project ?? "platform";
  const stack = opts.stack ?? "test";
  const region = opts.region ?? "us-east-1";
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const inputs = args.inputs as Record<string, any>;
      if (preview) return { id: undefined, state: inputs };
      return {
        id: mockId(args.type, args.name, inputs),
        state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, region) },
      };
    },
    call(args) {
      return invokeResult(args.token, args.inputs as Record<string, any>, region);
    },
  };
  const monitor = new RecordingMonitor(mocks);
  await pulumi.runtime.setMocks(mocks, project, stack, preview);
  settings.setMockOptions(monitor, project, stack, preview);
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);

  const failures: string[] = [];
  const onRejection = (reason: unknown) => {
    failures.push(reason instanceof Error ? reason.message : String(reason));
  };
  process.on("unhandledRejection", onRejection);
  try {
    // The SDK captures a stack trace for every Output and resource; the harness reports only
    // messages, and skipping those captures roughly halves the run (bench/FINDINGS.md, fix 3).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      await runInPulumiStack(async () => (await program()) as any);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    // waitForRPCs is marked @internal in the SDK typings; it drains every outstanding registration.
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    // Let rejections raised by the last RPCs reach the handler.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onRejection);
  }

  const stackRes = monitor.records.find((r) => r.type === "pulumi:pulumi:Stack");
  const inventory: Inventory = {
    project,
    stack,
    preview,
    resources: monitor.records,
    outputs: stackRes?.outputs ?? {},
    secretOutputPaths: stackRes?.outputSecretPaths ?? [],
  };

  const errors = [...new Set([...monitor.errors, ...failures])];
  if (!opts.allowDefaultProviders) {
    for (const r of inventory.resources) {
      // Providers themselves, and dynamic resources (served by the Node.js runtime's built-in provider).
      if (!r.custom || r.type.startsWith("pulumi:providers:") || r.type.startsWith("pulumi-nodejs:dynamic")) continue;
      if (!r.provider || DEFAULT_PROVIDER.test(r.provider)) {
        errors.push(`${r.type} '${r.name}' (${r.urn}) uses a default provider: pass an explicit provider from stacks/`);
      }
    }
  }
  if (errors.length > 0) {
    throw new ProgramError(`the program failed:\n  - ${errors.join("\n  - ")}`, errors, inventory);
  }
  return inventory;
}

/** Look up a value in an inventory input by a dotted/indexed path such as `spec.template.spec.containers[0].image`. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const part of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (cur === undefined || cur === null) return undefined;
    cur = part.startsWith("[") ? cur[Number(part.slice(1, -1))] : cur[part];
  }
  return cur;
}

/** Small query helpers for tests. */
export function ofType(inv: Inventory, type: string): InventoryResource[] {
  return inv.resources.filter((r) => r.type === type);
}

export function childrenOf(inv: Inventory, parentUrn: string): InventoryResource[] {
  return inv.resources.filter((r) => r.parent === parentUrn);
}
