/**
 * The inventory: what one run of a Pulumi program registered, as data.
 *
 * The harness (test/harness/run.ts) produces it by running a program under Pulumi's mocks
 * with a recording resource monitor; tests, the offline plan and the in-process policy
 * runner consume it. It deliberately mirrors what the engine knows about each resource
 * (type, name, URN, parent, provider, dependencies, inputs, options), so policies see the
 * same shapes they would see under `pulumi preview --policy-pack`.
 *
 * It is plain JSON data (no undefined values, class instances or functions): the plan cache
 * (plan-cache.ts) stores inventories as JSON, and a harness test checks the round trip.
 */

/** One registered resource (custom, component, provider, or the root stack). */
export interface InventoryResource {
  /** Full URN, e.g. `urn:pulumi:prod::platform::platform:data:Postgres$aws:rds/instance:Instance::app-db`. */
  urn: string;
  /** Type token, e.g. `aws:rds/instance:Instance`, `platform:data:Postgres`, `pulumi:providers:aws`. */
  type: string;
  /** Logical name as given to the constructor. */
  name: string;
  /** True for provider-backed resources, false for ComponentResources and the stack. */
  custom: boolean;
  /** URN of the parent resource, if any. */
  parent?: string;
  /**
   * Provider reference `<provider urn>::<provider id>` for custom resources. Default
   * providers have a URN ending in `::default` or `::default_<version>`.
   */
  provider?: string;
  /** URNs this resource depends on (explicit dependsOn plus every input's dependencies). */
  dependencies: string[];
  /** Per input property: the URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  /**
   * Input properties with secrets unwrapped to their plain values (the engine hands policies
   * plain values too). In preview mode, unknown values appear as `UNKNOWN` (see below).
   */
  inputs: Record<string, unknown>;
  /** Dotted/indexed paths of inputs that were secret, e.g. `password`, `data.DB_URL`, `env[2].value`. */
  secretPaths: string[];
  /** Paths of inputs that were unknown (preview mode only). */
  unknownPaths: string[];
  /** Resource options as the engine saw them. */
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
  /** Outputs registered by `registerOutputs` (components and the stack); absent otherwise. */
  outputs?: Record<string, unknown>;
  /** Paths of `outputs` that are secret. */
  outputSecretPaths?: string[];
}

/** The sentinel that stands for an unknown value in `inputs` (preview mode). */
export const UNKNOWN = "<unknown>";

export interface Inventory {
  project: string;
  stack: string;
  /** true: preview (computed outputs unknown); false: update (mocked outputs known). */
  preview: boolean;
  /** Every registered resource, in registration order. */
  resources: InventoryResource[];
  /** Stack outputs with secrets unwrapped. */
  outputs: Record<string, unknown>;
  /** Paths of stack outputs that are secret. */
  secretOutputPaths: string[];
}
