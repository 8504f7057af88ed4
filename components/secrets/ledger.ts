/**
 * The signing-key rotation ledger: a resource whose inputs are the rotation state of one signing
 * key (labels only, never key material). Its provider's `check` sees the state the last deployment
 * recorded beside the new one and refuses a step that skips a phase (./signing.ts checkTransition)
 * in preview and in `up`, before any key is created or deleted (the keys depend on it). It runs in
 * the Node.js runtime's built-in dynamic provider host: no plugin to fetch.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkTransition, type RotationState as SigningKeyRotation } from "./transition";

interface LedgerInputs {
  /** `platform:signingKeys.<name>`: where the errors point. */
  at: string;
  current: string;
  next?: string;
  retiring?: string;
}

const state = (i: Partial<LedgerInputs> | undefined): SigningKeyRotation | undefined =>
  i && typeof i.current === "string" ? { current: i.current, ...(i.next ? { next: i.next } : {}), ...(i.retiring ? { retiring: i.retiring } : {}) } : undefined;

export const ledgerProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<LedgerInputs>, news: LedgerInputs) {
    const problems = checkTransition(news.at, state(olds), state(news)!);
    return { inputs: news, failures: problems.map((reason) => ({ property: "current", reason })) };
  },
  async create(inputs: LedgerInputs) {
    return { id: `${inputs.at}`, outs: inputs };
  },
  async diff(_id: string, olds: LedgerInputs, news: LedgerInputs) {
    const changed = (["current", "next", "retiring"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0 };
  },
  async update(_id: string, _olds: LedgerInputs, news: LedgerInputs) {
    return { outs: news };
  },
};

export class SigningKeyLedger extends pulumi.dynamic.Resource {
  declare readonly current: pulumi.Output<string>;
  constructor(name: string, inputs: LedgerInputs, opts: pulumi.CustomResourceOptions) {
    super(ledgerProvider, name, { ...inputs }, opts, "platform", "SigningKeyLedger");
  }
}
