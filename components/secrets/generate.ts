/**
 * Generated secrets — passwords and keys — secret from birth, in one place.
 *
 * Which generator runs follows the providers the stack passed down: with a `random` provider in
 * scope (every cloud tier), @pulumi/random's RandomPassword / RandomBytes; without one (the
 * `local` tier, which must need no provider plugin fetched at run time), a small dynamic
 * provider built into the Node.js runtime that draws from `crypto.randomBytes`. Either way the
 * value is generated once, kept (encrypted) in state, and replaced only when its inputs or
 * keepers change.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface PasswordOptions {
  length: number;
  /** Include punctuation (default false: passwords go into URLs and config files). */
  special?: boolean;
  /** Include lower-case letters (default true). */
  lower?: boolean;
  /** Change any keeper to generate a new value (rotation). */
  keepers?: Record<string, string>;
}

export interface KeyOptions {
  /** Bytes of key material. */
  length: number;
  keepers?: Record<string, string>;
}

interface GeneratedInputs {
  kind: "password" | "bytes";
  length: number;
  special: boolean;
  lower: boolean;
  keepers: Record<string, string>;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const SPECIAL = "!#$%&*()-_=+[]{}<>:?";

/** The dynamic provider: runs inside the engine's Node.js provider host, so nothing is fetched. */
const generatedProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: GeneratedInputs) {
    // A plain `require`: the provider is serialized with its closure, and a dynamic `import()`
    // would drag the loader's machinery into it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    const id = crypto.randomUUID();
    if (inputs.kind === "bytes") {
      const b = crypto.randomBytes(inputs.length);
      return { id, outs: { ...inputs, hex: b.toString("hex"), base64: b.toString("base64") } };
    }
    const alphabet = UPPER + DIGITS + (inputs.lower ? LOWER : "") + (inputs.special ? SPECIAL : "");
    // Rejection sampling: no modulo bias.
    const limit = 256 - (256 % alphabet.length);
    let result = "";
    while (result.length < inputs.length) {
      for (const byte of crypto.randomBytes(inputs.length * 2)) {
        if (byte < limit && result.length < inputs.length) result += alphabet[byte % alphabet.length];
      }
    }
    return { id, outs: { ...inputs, result } };
  },
  async diff(_id: string, olds: GeneratedInputs, news: GeneratedInputs) {
    const keys = ["kind", "length", "special", "lower", "keepers"] as const;
    const replaces = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
};

class GeneratedSecret extends pulumi.dynamic.Resource {
  declare readonly result: pulumi.Output<string>;
  declare readonly hex: pulumi.Output<string>;
  declare readonly base64: pulumi.Output<string>;
  constructor(name: string, inputs: GeneratedInputs, opts: pulumi.CustomResourceOptions) {
    super(
      generatedProvider,
      name,
      { ...inputs, result: undefined, hex: undefined, base64: undefined },
      { ...opts, additionalSecretOutputs: ["result", "hex", "base64"] },
      "platform",
      "GeneratedSecret",
    );
  }
}

/** True when a `random` provider is given or in scope for children of `parent` (passed down by stacks/). */
export function hasRandomProvider(opts: pulumi.CustomResourceOptions): boolean {
  if (opts.provider) return true; // an explicit provider for a generator is the random provider
  return opts.parent?.getProvider("random:index/randomPassword:RandomPassword") !== undefined;
}

/** A generated password (secret Output). */
export function generatePassword(name: string, o: PasswordOptions, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const special = o.special ?? false;
  const lower = o.lower ?? true;
  if (hasRandomProvider(opts)) {
    return new random.RandomPassword(name, { length: o.length, special, lower, ...(o.keepers ? { keepers: o.keepers } : {}) }, opts).result;
  }
  return pulumi.secret(new GeneratedSecret(name, { kind: "password", length: o.length, special, lower, keepers: o.keepers ?? {} }, opts).result);
}

/** Generated key material (secret Outputs, hex and base64). */
export function generateKey(name: string, o: KeyOptions, opts: pulumi.CustomResourceOptions): { hex: pulumi.Output<string>; base64: pulumi.Output<string> } {
  if (hasRandomProvider(opts)) {
    const b = new random.RandomBytes(name, { length: o.length, ...(o.keepers ? { keepers: o.keepers } : {}) }, opts);
    return { hex: b.hex, base64: b.base64 };
  }
  const g = new GeneratedSecret(name, { kind: "bytes", length: o.length, special: false, lower: true, keepers: o.keepers ?? {} }, opts);
  return { hex: pulumi.secret(g.hex), base64: pulumi.secret(g.base64) };
}
