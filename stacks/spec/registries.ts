/**
 * Private container registries (`platform:registries`) and their passwords
 * (`platform:registryPasswords.<name>`, always `pulumi config set --secret`). Pure.
 *
 *   platform:registries:
 *     - { name: ghcr, host: ghcr.io, username: acme-deploy }
 *   pulumi config set --secret --path platform:registryPasswords.ghcr <token with read:packages>
 *
 * Every image whose registry host is listed is pulled with those credentials: on Kubernetes a
 * `kubernetes.io/dockerconfigjson` Secret in the namespace of the pods that pull it plus
 * `imagePullSecrets` on those pods (stacks/compose/services.ts); on the single host the Docker
 * provider's `registryAuth` (stacks/compose/host.ts).
 */
import { z } from "zod";
import { TIERS, type TierName } from "./tiers";

/** `ghcr.io`, `registry.example.com:5000`, `123456789012.dkr.ecr.us-east-1.amazonaws.com`, `docker.io`. */
const registryHost = z
  .string()
  .regex(/^(?=.{1,253}(:\d{1,5})?$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*(:\d{1,5})?$/, {
    message: "must be a registry host as it appears in image references, such as `ghcr.io` or `registry.example.com:5000` (no scheme, no path)",
  })
  .refine((h) => h.includes(".") || h.includes(":") || h === "localhost", {
    message: "must be a registry host with a dot or a port (`ghcr.io`, `docker.io`): a bare name is read as a Docker Hub namespace",
  });

export const registryName = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9]{0,30}$/, { message: "must be a short camelCase name such as `ghcr` (it names the password key and the Secret)" });

export const registries = z.array(
  z.strictObject({
    name: registryName,
    host: registryHost,
    username: z.string().min(1, "the registry user name (a robot or deploy account, never a person's)").max(256),
  }),
);

export const registryPasswords = z.record(registryName, z.string().min(1, "an empty password: set the registry token"));

export type Registry = z.infer<typeof registries>[number];

const setPassword = (name: string) => `\`pulumi config set --secret --path platform:registryPasswords.${name} <token>\``;

export function registryIssues(config: {
  tier: TierName;
  registries: Registry[];
  registryPasswords: Record<string, string>;
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  config.registries.forEach((r, i) => {
    if (names.has(r.name)) out.push({ path: ["config", "registries", i, "name"], message: `duplicate registry name '${r.name}'` });
    names.add(r.name);
    const other = hosts.get(normaliseHost(r.host));
    if (other) out.push({ path: ["config", "registries", i, "host"], message: `registry '${other}' already has host ${r.host}: one entry per registry host` });
    hosts.set(normaliseHost(r.host), r.name);
    if (TIERS[config.tier].secretsRequired && config.registryPasswords[r.name] === undefined) {
      out.push({ path: ["config", "registries", i, "name"], message: `registry '${r.name}' (${r.host}) has no password: ${setPassword(r.name)}` });
    }
  });
  for (const k of Object.keys(config.registryPasswords)) {
    if (!names.has(k))
      out.push({
        path: ["config", "registryPasswords", k],
        message: `'${k}' is not a registry under platform:registries (${[...names].join(", ") || "none"}): remove it or fix its spelling`,
      });
  }
  return out;
}

/** Docker Hub's aliases are one registry. */
function normaliseHost(h: string): string {
  return h === "index.docker.io" || h === "registry-1.docker.io" ? "docker.io" : h;
}

/** The registry host of an image reference (`nginx:1` → docker.io; `ghcr.io/acme/api:1` → ghcr.io). */
export function registryHostOf(image: string): string {
  const first = image.split("/")[0]!;
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? normaliseHost(first) : "docker.io";
}

/** The registry of `image` among `list`, if it is one of them. */
export function registryFor(image: string, list: readonly Registry[]): Registry | undefined {
  const host = registryHostOf(image);
  return list.find((r) => normaliseHost(r.host) === host);
}

/** Name of the pull Secret of a registry in a namespace. */
export function pullSecretName(r: Registry): string {
  return `registry-${r.name.toLowerCase()}`;
}

/** The `.dockerconfigjson` of one registry (Docker Hub's auth key is its v1 index URL). */
export function dockerConfigJson(r: Registry, password: string): string {
  const server = normaliseHost(r.host) === "docker.io" ? "https://index.docker.io/v1/" : r.host;
  const auth = Buffer.from(`${r.username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username: r.username, password, auth } } });
}

/** The Docker provider's registry address for a registry. */
export function dockerProviderAddress(r: Registry): string {
  return normaliseHost(r.host) === "docker.io" ? "registry-1.docker.io" : r.host;
}
