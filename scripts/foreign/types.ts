/** The data that passes between the foreign-program runner (run.ts) and its child (child.ts). */

/** The value the plan puts where a program reads required config its stack does not set, or a `secure:` value. */
export const PLACEHOLDER_PREFIX = "plan-placeholder-";
export const placeholderValue = (key: string): string => `${PLACEHOLDER_PREFIX}${key.replace(/[^\w]+/g, "-")}`;

export interface ChildJob {
  /** The program's entry file inside the working copy. */
  entry: string;
  /** Working directory of the run (the working copy of the project directory). */
  cwd: string;
  /** The project directory as given (for messages). */
  projectDir: string;
  installHint: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  preview: boolean;
  region: string;
  timeoutMs: number;
  /** Where the child writes its ChildResult. */
  out: string;
}

/** One registration, shaped like tools/harness/inventory.ts's InventoryResource. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  inputs: Record<string, unknown>;
  secretPaths: string[];
  unknownPaths: string[];
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    aliases: string[];
    deletedWith?: string;
    replaceOnChanges: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    version?: string;
  };
  outputs?: Record<string, unknown>;
  outputSecretPaths?: string[];
}

export interface ChildResult {
  /** The program ran to the end with no error. */
  ok: boolean;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  secretOutputPaths: string[];
  /** URNs of components registered as remote (their children are made by a provider plugin). */
  remote: string[];
  invokes: { token: string; kind: string; count: number }[];
  /** Required config keys the stack did not set, run with placeholders. */
  placeholders: string[];
  errors: string[];
  /** Registrations and invokes in flight when the deadline came. */
  pending: string[];
  timedOut: boolean;
  missingInstall?: boolean;
  /** The program's own @pulumi/pulumi version, to which the mocks were attached. */
  pulumiVersion: string;
}
