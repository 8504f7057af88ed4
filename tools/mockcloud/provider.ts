/**
 * mockcloud: a resource-provider plugin for the REAL Pulumi engine that answers for a cloud
 * package (aws, cloudflare, docker, random, command) with the same fake answers the in-process
 * test harness uses (./answers.ts). The engine starts it as `pulumi-resource-<pkg>` (launchers
 * written by ./install.sh); run directly:
 *
 *   node_modules/.bin/tsx tools/mockcloud/provider.ts <pkg> [engine-address]
 *
 * The package comes from the first argument (or MOCKCLOUD_PACKAGE). It prints its gRPC port on
 * stdout, like every plugin, and serves:
 *
 *   GetPluginInfo  the version of node_modules/@pulumi/<pkg> (what the npm SDK asks the engine for)
 *   CheckConfig    the new config as given          Configure  remembers the region (never values)
 *   DiffConfig     changes when any input differs, never a replacement
 *   Check          the new inputs as given
 *   Diff           compares OLD INPUTS with new inputs; replaces only for a short table of
 *                  create-only fields (FORCE_NEW below), every other change is an update
 *   Create/Update  id = mockId(...), outputs = inputs + computedOutputs(...)
 *   Read           the stored state as it is (no drift)       Delete  succeeds
 *   Invoke         invokeResult(...); a token without an answer fails naming the token and
 *                  tools/mockcloud/answers.ts
 *
 * It is built on @pulumi/pulumi/provider's `main(provider, args)`. That server answers
 * Configure without passing the request on, leaves CheckConfig/DiffConfig unimplemented, and
 * hands `diff` the old OUTPUTS (which include computed values, so every resource would look
 * changed). The small `addService` hook below fills exactly those three gaps on the same gRPC
 * server; everything else is the SDK's own handler.
 *
 * Secrets are passed through in their wire form (the engine keeps them secret); answers are
 * computed from unwrapped copies. Nothing here logs a property value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckResult, DiffResult, Provider } from "@pulumi/pulumi/provider";
import { computedOutputs, invokeResult, mockId } from "./answers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const DEFAULT_REGION = "us-east-1";

/**
 * Inputs the real provider cannot change in place (schema `forceNew` / TF `ForceNew`), for a
 * few well-known types only. A change to any other input is an update. For `random:*` every
 * input forces a new value, as in the real provider.
 */
const FORCE_NEW: Record<string, string[]> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock", "instanceTenancy"],
  "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"],
  "aws:eks/cluster:Cluster": ["name", "kubernetesNetworkConfig"],
  "aws:eks/nodeGroup:NodeGroup": ["clusterName", "nodeGroupName", "subnetIds", "amiType", "capacityType", "diskSize", "instanceTypes", "nodeRoleArn"],
  "aws:rds/instance:Instance": ["identifier", "engine", "dbName", "storageEncrypted", "kmsKeyId", "availabilityZone", "username", "characterSet", "timezone"],
  "aws:rds/cluster:Cluster": ["clusterIdentifier", "engine", "databaseName", "storageEncrypted", "kmsKeyId", "masterUsername"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/policy:Policy": ["name", "namePrefix", "path"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
  "aws:s3/bucketV2:BucketV2": ["bucket", "bucketPrefix"],
  "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage"],
  "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
  "aws:ec2/instance:Instance": ["ami", "availabilityZone", "subnetId", "keyName", "privateIp"],
  "cloudflare:index/r2Bucket:R2Bucket": ["accountId", "name", "location", "jurisdiction"],
  "cloudflare:index/dnsRecord:DnsRecord": ["zoneId"],
};

type Props = Record<string, unknown>;

/** The package this process answers for: argv[0] of the script, else MOCKCLOUD_PACKAGE. */
export function parsePackageArg(argv: string[], env: NodeJS.ProcessEnv): { pkg: string; rest: string[] } {
  const first = argv[0];
  if (first !== undefined && /^[a-z][a-z0-9-]*$/.test(first)) return { pkg: first, rest: argv.slice(1) };
  const fromEnv = env["MOCKCLOUD_PACKAGE"];
  if (fromEnv) return { pkg: fromEnv, rest: argv };
  throw new Error("mockcloud: usage: provider.ts <package> [engine-address] (or set MOCKCLOUD_PACKAGE)");
}

/** The version the npm SDK asks the engine for: node_modules/@pulumi/<pkg>/package.json. */
export function sdkVersion(pkg: string, repoRoot: string): string | undefined {
  for (const base of [repoRoot, process.cwd()]) {
    const file = path.join(base, "node_modules", "@pulumi", pkg, "package.json");
    if (!fs.existsSync(file)) continue;
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string; pulumi?: { version?: string } };
    return j.pulumi?.version ?? j.version;
  }
  return undefined;
}

/** `urn:pulumi:stack::project::parent$type::name` -> type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

/** A copy with secrets unwrapped (answers are computed from plain values). */
export function plain(v: unknown): any {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(plain);
  const o = v as Props;
  if (o[SIG] === SECRET_SIG) return plain(o["value"]);
  const out: Props = {};
  for (const [k, e] of Object.entries(o)) out[k] = plain(e);
  return out;
}

function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (v === null || typeof v !== "object") return false;
  return Object.values(v as Props).some(containsUnknown);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Props).filter((k) => (a as Props)[k] !== undefined);
  const kb = Object.keys(b as Props).filter((k) => (b as Props)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Props)[k], (b as Props)[k]));
}

/** Top-level input keys whose values differ (secretness alone is not a change; unknown is). */
export function changedKeys(olds: Props, news: Props): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => containsUnknown(news[k]) || !deepEqual(plain(olds[k]), plain(news[k]))).sort();
}

export function diffInputs(type: string, olds: Props, news: Props): DiffResult {
  const changed = changedKeys(olds, news);
  if (changed.length === 0) return { changes: false };
  const forceNew = type.startsWith("random:") ? changed : changed.filter((k) => FORCE_NEW[type]?.includes(k));
  return { changes: true, ...(forceNew.length > 0 ? { replaces: forceNew } : {}) };
}

/** Region for answers: the provider's `region` input, then `<pkg>:region` config, then the environment. */
export function regionFrom(args: Props, variables: Record<string, string>, pkg: string, env: NodeJS.ProcessEnv): string {
  const fromArgs = plain(args["region"]);
  if (typeof fromArgs === "string" && fromArgs !== "" && fromArgs !== UNKNOWN) return fromArgs;
  const fromVars = variables[`${pkg}:config:region`] ?? variables[`${pkg}:region`];
  if (fromVars) return fromVars;
  return env["AWS_REGION"] || env["AWS_DEFAULT_REGION"] || DEFAULT_REGION;
}

/** The provider proper: answers from ./answers.ts. `state.region` is set by Configure. */
export function mockProvider(pkg: string, version: string | undefined, state: { region: string }): Provider {
  const ownType = (urn: string) => {
    const { type, name } = parseUrn(urn);
    if (!type.startsWith(`${pkg}:`)) throw new Error(`mockcloud(${pkg}): resource type ${type} does not belong to package ${pkg}`);
    return { type, name };
  };
  return {
    ...(version ? { version } : {}),
    async check(_urn, _olds, news): Promise<CheckResult> {
      return { inputs: news };
    },
    async diff(_id, urn, olds, news) {
      return diffInputs(parseUrn(urn).type, olds ?? {}, news ?? {});
    },
    async create(urn, inputs) {
      const { type, name } = ownType(urn);
      const p = plain(inputs);
      return { id: mockId(type, name, p), outs: { ...inputs, ...computedOutputs(type, name, p, state.region) } };
    },
    async update(_id, urn, _olds, news) {
      const { type, name } = ownType(urn);
      return { outs: { ...news, ...computedOutputs(type, name, plain(news), state.region) } };
    },
    async read(id, _urn, props) {
      return { id, props: props ?? {} };
    },
    async delete() {
      /* nothing to delete in a mock cloud */
    },
    async invoke(token, inputs) {
      if (!token.startsWith(`${pkg}:`)) throw new Error(`mockcloud(${pkg}): invoke ${token} does not belong to package ${pkg}`);
      try {
        return { outputs: invokeResult(token, plain(inputs ?? {}), state.region) };
      } catch (e) {
        // invokeResult's own error names the token and the file to add the answer to.
        throw new Error(`mockcloud(${pkg}): ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

/**
 * Fill the three gaps of the SDK's provider server (see the header): Configure, CheckConfig,
 * DiffConfig, and `diff` fed with old inputs. Installed on grpc-js's Server before `main` runs.
 */
function hookServer(pkg: string, state: { region: string }): void {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
  const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
  const provproto = require("@pulumi/pulumi/proto/provider_pb");
  const structproto = require("google-protobuf/google/protobuf/struct_pb");
  const original = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: unknown, impl: Record<string, Function>) {
    if (service !== provrpc.ResourceProviderService) return original.call(this, service, impl);
    // The SDK's handlers are methods of its Server class; bind them to their object.
    const patched: Record<string, Function> = {};
    const proto = Object.getPrototypeOf(impl);
    for (const k of Object.getOwnPropertyNames(proto)) {
      if (k !== "constructor" && typeof proto[k] === "function") patched[k] = proto[k].bind(impl);
    }
    patched["configure"] = (call: any, cb: Function) => {
      try {
        const req = call.request;
        const args = (req.getArgs()?.toJavaScript() ?? {}) as Props;
        const variables: Record<string, string> = {};
        req.getVariablesMap().forEach((v: string, k: string) => (variables[k] = v));
        state.region = regionFrom(args, variables, pkg, process.env);
        const resp = new provproto.ConfigureResponse();
        resp.setAcceptsecrets(true);
        resp.setAcceptresources(false); // references arrive as plain ids/URNs
        resp.setAcceptoutputs(false);
        resp.setSupportspreview(false); // preview: outputs are the inputs, computed ones unknown
        cb(null, resp);
      } catch (e) {
        cb(e, null);
      }
    };
    patched["checkConfig"] = (call: any, cb: Function) => {
      const resp = new provproto.CheckResponse();
      resp.setInputs(call.request.getNews() ?? new structproto.Struct());
      cb(null, resp);
    };
    patched["diffConfig"] = (call: any, cb: Function) => {
      const req = call.request;
      const olds = (req.getOldInputs() ?? req.getOlds())?.toJavaScript() ?? {};
      const news = req.getNews()?.toJavaScript() ?? {};
      const changed = changedKeys(olds, news).filter((k) => k !== "version");
      const resp = new provproto.DiffResponse();
      resp.setChanges(changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
      resp.setDiffsList(changed);
      cb(null, resp);
    };
    const sdkDiff = patched["diff"] as Function;
    patched["diff"] = (call: any, cb: Function) => {
      const req = call.request;
      if (req.hasOldInputs()) req.setOlds(req.getOldInputs());
      return sdkDiff(call, cb);
    };
    return original.call(this, service, patched);
  };
}

export const repoRoot = process.env["MOCKCLOUD_REPO"] || path.resolve(__dirname, "..", "..");

if (require.main === module) {
  const { pkg, rest } = parsePackageArg(process.argv.slice(2), process.env);
  const version = sdkVersion(pkg, repoRoot);
  if (!version) process.stderr.write(`mockcloud(${pkg}): node_modules/@pulumi/${pkg} not found; reporting no version\n`);
  const state = { region: regionFrom({}, {}, pkg, process.env) };
  hookServer(pkg, state);
  // Loaded after the hook so the SDK's server is created on the patched grpc-js Server.
  const { main } = require("@pulumi/pulumi/provider") as typeof import("@pulumi/pulumi/provider");
  main(mockProvider(pkg, version, state), rest).catch((e: unknown) => {
    process.stderr.write(`mockcloud(${pkg}): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
