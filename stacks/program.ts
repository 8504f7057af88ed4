/**
 * The composition: read the stack's config, validate the whole spec before a single resource
 * is registered, build the explicit providers, then hand a Context to each area's composer in
 * dependency order. Returns the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Context } from "./context";
import { composeEdge } from "./compose/edge";
import { buildProviders } from "./providers";
import { loadSpec, platformConfigFromRaw } from "./spec/load";
import type { PlatformSpec } from "./spec/platform";

/** Validate the stack's spec. Throws a SpecError listing every problem; registers nothing. */
export function readSpec(): PlatformSpec {
  return loadSpec({ stack: pulumi.getStack(), config: platformConfigFromRaw(pulumi.runtime.allConfig()) });
}

/**
 * Human-provided secrets as secret Outputs. Outside `local`, the spec has already rejected a
 * missing one; in `local` a missing one is generated, since nothing real is sent there.
 */
function humanSecrets(spec: PlatformSpec, providers: Context["providers"]): Record<string, pulumi.Output<string>> {
  const cfg = new pulumi.Config("platform");
  const provided = cfg.getSecretObject<Record<string, string>>("secrets");
  const out: Record<string, pulumi.Output<string>> = {};
  for (const { name } of spec.blueprint.secrets.external) {
    if (provided && spec.providedSecrets.includes(name)) {
      out[name] = pulumi.secret(provided.apply((o) => o[name]!));
    } else {
      out[name] = new random.RandomPassword(`local-${name}`, { length: 32, special: false }, { provider: providers.random }).result;
    }
  }
  return out;
}

export function main(): Record<string, unknown> {
  const spec = readSpec();
  const providers = buildProviders(spec);
  const ctx: Context = { spec, providers, humanSecrets: humanSecrets(spec, providers) };
  const edge = composeEdge(ctx);
  return {
    edge: edge.url ?? { skipped: edge.skipped },
    secretsProvided: Object.keys(ctx.humanSecrets),
    tier: spec.tier,
    blueprint: spec.blueprint.name,
    hosting: spec.hosting.mode,
    domain: spec.domain,
    services: Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, { image: s.image, replicas: s.replicas }])),
  };
}
