/**
 * The platform spec: one zod schema for everything a stack deploys — the stack file's
 * `platform:*` config and the blueprint it selects — with the cross-field rules that neither
 * part can check alone. `resolvePlatform` then merges the tier's row of the environment
 * matrix into a fully explicit PlatformSpec that the composition turns into components.
 */
import { z } from "zod";
import { ChartMirror, OFFICIAL_REPOSITORIES } from "../../components/charts";
import { webAppServiceProblem } from "../../components/edge/build";
import { scriptSrcOf } from "../../components/edge/headers";
import { type CloudflarePlan, cloudflarePlanGaps } from "../../components/edge/cloudflare/plans";
import { ROLLOUT_DEFAULTS, ServiceSpec } from "../../components/service/spec";
import type { Alerting } from "../../components/monitoring/receivers";
import { type SigningKeyRotation, validateRotation } from "../../components/secrets/signing";
import { alertingIssues } from "./alerting";
import { type AdmissionConfig, type ImageRegistryConfig, imageIssues, serviceImages } from "./images";
import { type Registry, registryIssues } from "./registries";
import { BlueprintSpec, blueprintSpec } from "./blueprint";
import { RolloutOverride } from "./release";
import { releaseIssues } from "./release-rules";
import { StackConfig, stackConfig } from "./stack-config";
import { TIERS, TierName, TierProfile, serviceReplicas } from "./tiers";

export const platformSource = z
  .strictObject({
    /** Stack name (`pulumi stack`), for messages and names. */
    stack: z.string().min(1),
    config: stackConfig,
    blueprint: blueprintSpec,
  })
  .superRefine((src, ctx) => {
    for (const issue of crossCheck(src.config, src.blueprint, src.stack)) ctx.addIssue({ code: "custom", ...issue });
  });

export type PlatformSource = z.infer<typeof platformSource>;

interface CrossIssue {
  path: (string | number)[];
  message: string;
}

const OPEN = new Set(["0.0.0.0/0", "::/0"]);

/** Rules across fields and across the two files. Pure; every problem is returned, not just the first. */
export function crossCheck(config: StackConfig, bp: BlueprintSpec, stack = "stack"): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const tier = TIERS[config.tier];

  if (config.blueprint !== bp.name) {
    add(
      ["blueprint", "name"],
      `blueprint file declares name '${bp.name}' but the stack selects '${config.blueprint}': make the file name and its \`name:\` agree`,
    );
  }

  // Hosting the tier (or the stack override) asks for must be one the blueprint supports.
  const hosting = config.hosting ?? tier.hosting;
  if (!bp.hosting[hosting]) {
    const other = hosting === "kubernetes" ? "singleHost" : "kubernetes";
    add(
      ["config", "hosting"],
      `tier '${config.tier}' runs on ${hosting} but blueprint '${bp.name}' has no ${hosting} topology: set \`platform:hosting: ${other}\` in the stack file, or add \`hosting.${hosting}\` to the blueprint`,
    );
  }
  if (hosting === "singleHost") {
    // The single host runs PostgreSQL and Redis as containers; object stores (S3 or SeaweedFS in
    // the blueprint) are S3 there. Scylla and IPFS need Kubernetes.
    for (const [kind, list] of [
      ["scylla", bp.dataStores.scylla],
      ["ipfs", bp.dataStores.ipfs],
    ] as const) {
      list.forEach((_, i) =>
        add(
          ["blueprint", "dataStores", kind, i],
          `${kind} needs Kubernetes; the single-host topology runs PostgreSQL, Redis and S3 only: use \`platform:hosting: kubernetes\` for this stack`,
        ),
      );
    }
  }
  // Every cloud stack deploys from its in-VPC runner (components/delivery): the private EKS endpoint
  // and the host's SSH answer nothing else.
  if (tier.cloudAccount && !config.delivery) {
    add(
      ["config", "delivery"],
      "a cloud stack deploys from a runner inside its VPC (the EKS endpoint is private; the host admits SSH from that runner only): set `platform:delivery.repository` (owner/name) and `platform:delivery.connectionArn` (an approved AWS CodeConnections connection to GitHub); see docs/delivery.md",
    );
  }
  config.host.sshAllowList.forEach((c, i) => {
    if (OPEN.has(c)) add(["config", "host", "sshAllowList", i], `SSH must never be open to ${c}: list your bastion or office CIDRs instead`);
  });
  config.cluster.publicAccessCidrs.forEach((c, i) => {
    if (OPEN.has(c))
      add(["config", "cluster", "publicAccessCidrs", i], `the Kubernetes API must not be public to ${c}: remove it (private endpoint) or list specific CIDRs`);
  });
  const clusterMode = config.cluster.mode ?? tier.cluster;
  if (hosting === "kubernetes" && clusterMode === "existing" && !config.cluster.kubeconfig && !config.cluster.renderDir) {
    add(
      ["config", "cluster"],
      "an existing cluster needs `kubeconfig` (deploy) or `renderDir` (render manifests only): `pulumi config set --path platform:cluster.renderDir rendered/<stack>`",
    );
  }

  // Edge: a Cloudflare site needs the account and zone where the tier has a cloud account (the edge is deployed).
  if (bp.edge && tier.cloudAccount && bp.edge.provider === "cloudflare" && !config.cloudflare) {
    add(
      ["config", "cloudflare"],
      "the blueprint's edge runs on Cloudflare: set `platform:cloudflare` with `accountId` and `zoneId` (32-hex ids from the Cloudflare dashboard)",
    );
  }
  // The edge's WAF (managed rules + host rate limit, stacks/compose/edge.ts) exists on Pro and above only.
  if (bp.edge?.rateLimitPer5Min && tier.cloudAccount && bp.edge.provider === "cloudflare" && config.cloudflare) {
    const plan = config.cloudflare.plan ?? "free";
    for (const gap of cloudflarePlanGaps(plan, { managedRules: true, rateLimit: true })) {
      add(
        ["config", "cloudflare", "plan"],
        `the zone is on the ${plan} plan, but the blueprint's edge asks for a WAF (edge.rateLimitPer5Min) and ${gap}: set \`platform:cloudflare.plan\` to the zone's plan (pro or above), or remove edge.rateLimitPer5Min from the blueprint`,
      );
    }
  }
  if (bp.edge && tier.cloudAccount && bp.edge.provider === "cloudfront" && !config.route53ZoneId) {
    add(
      ["config", "route53ZoneId"],
      "the blueprint's edge runs on CloudFront: set `platform:route53ZoneId` to the hosted zone of the domain (for the alias record and certificate validation)",
    );
  }
  // Public hosts on an EKS tier get DNS records the program manages (stacks/compose/dns.ts): it needs a zone.
  if (
    tier.cloudAccount &&
    hosting === "kubernetes" &&
    clusterMode === "eks" &&
    !config.route53ZoneId &&
    !config.cloudflare &&
    bp.services.some((s) => s.exposure === "public" && s.routes.length > 0)
  ) {
    add(
      ["config", "route53ZoneId"],
      `the public hosts of this stack need DNS records at the ingress load balancer, in a zone the program manages: set \`platform:route53ZoneId\` (Route 53 hosted zone of ${config.domain}) or \`platform:cloudflare\` (accountId, zoneId)`,
    );
  }
  // An ACME issuer (every tier whose certificates are not self-signed) needs the account's email.
  if (tier.certificates !== "self-signed" && hosting === "kubernetes" && !config.certificates) {
    add(["config", "certificates"], "ingress TLS needs an ACME account: `pulumi config set --path platform:certificates.email platform@example.com`");
  }

  // Services.
  const names = new Set<string>();
  const storeRefs = new Set<string>();
  for (const [kind, list] of Object.entries(bp.dataStores) as [string, { name: string }[]][]) {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name)) add(["blueprint", "dataStores", kind, i, "name"], `duplicate ${kind} name '${s.name}': names are unique per kind`);
      seen.add(s.name);
      storeRefs.add(`${kind === "objectStores" ? "objectStore" : kind}/${s.name}`);
    });
  }
  const external = new Set(bp.secrets.external.map((s) => s.name));
  const generated = new Set(bp.secrets.generated.map((s) => s.name));
  const hosts = new Map<string, string>();
  bp.services.forEach((svc, i) => {
    const at = (...p: (string | number)[]) => ["blueprint", "services", i, ...p];
    if (names.has(svc.name)) add(at("name"), `duplicate service name '${svc.name}'`);
    names.add(svc.name);
    checkService(svc, at, add);
    if (tier.pinnedImages && /:latest$/.test(svc.image))
      add(at("image"), `tier '${config.tier}' requires pinned images: replace ':latest' with a version tag or digest`);
    svc.routes.forEach((r, j) => {
      const key = `${r.host}${r.path}`;
      const owner = hosts.get(key);
      if (owner) add(at("routes", j), `route ${r.host}${r.path} is already served by '${owner}': give each route a distinct host or path`);
      hosts.set(key, svc.name);
    });
    svc.connectsTo.forEach((ref, j) => {
      if (!storeRefs.has(ref)) add(at("connectsTo", j), `no data store '${ref}' in this blueprint; declared stores: ${[...storeRefs].join(", ") || "none"}`);
    });
    svc.secrets.forEach((s, j) => {
      const [scheme, rest] = [s.from.slice(0, s.from.indexOf(":")), s.from.slice(s.from.indexOf(":") + 1)];
      if (scheme === "dataStore" && !storeRefs.has(rest.split("#")[0]!))
        add(at("secrets", j, "from"), `no data store '${rest.split("#")[0]}' in this blueprint`);
      if (scheme === "config" && !external.has(rest))
        add(at("secrets", j, "from"), `config secret '${rest}' is not declared: add it to the blueprint's \`secrets.external\``);
      if (scheme === "generated" && !generated.has(rest))
        add(at("secrets", j, "from"), `generated secret '${rest}' is not declared: add it to the blueprint's \`secrets.generated\``);
    });
    svc.egress.forEach((n, j) => {
      if (!bp.externalNetworks[n]) add(at("egress", j), `no external network '${n}': declare it under \`externalNetworks\``);
    });
  });
  // The local development chain's clients are services of this blueprint.
  for (const [svc, env] of Object.entries(bp.localDevelopment?.chain?.clients ?? {})) {
    if (!bp.services.some((s) => s.name === svc))
      add(
        ["blueprint", "localDevelopment", "chain", "clients", svc],
        `no service '${svc}' in this blueprint; services: ${bp.services.map((s) => s.name).join(", ")}`,
      );
    if (Object.keys(env).length === 0)
      add(["blueprint", "localDevelopment", "chain", "clients", svc], "name at least one env var pointed at the chain, e.g. `ETHEREUM_RPC_URL: http`");
  }
  if (bp.localDevelopment?.chain && bp.services.some((s) => s.name === bp.localDevelopment!.chain!.name)) {
    add(["blueprint", "localDevelopment", "chain", "name"], `'${bp.localDevelopment.chain.name}' is already a service name: give the chain its own name`);
  }
  // No replica that nobody reads: a store with read replicas needs a service reading its `#readerUrl`.
  bp.dataStores.postgres.forEach((pg, j) => {
    if (pg.readReplicas === 0) return;
    const ref = `dataStore:postgres/${pg.name}#readerUrl`;
    if (!bp.services.some((s) => s.secrets.some((x) => x.from === ref))) {
      add(
        ["blueprint", "dataStores", "postgres", j, "readReplicas"],
        `${pg.readReplicas} read replica(s) that no service reads: give the reading service \`{ env: DATABASE_READ_URL, from: "${ref}" }\`, or set readReplicas: 0`,
      );
    }
  });
  // Backups are written where the blueprint says: `backupsTo` names a declared object store, for an
  // in-cluster database with PITR (RDS keeps its own backups in AWS Backup and snapshots).
  bp.dataStores.postgres.forEach((pg, j) => {
    if (pg.backupsTo === undefined) return;
    const at = ["blueprint", "dataStores", "postgres", j, "backupsTo"];
    if (!bp.dataStores.objectStores.some((o) => o.name === pg.backupsTo))
      add(
        at,
        `no object store '${pg.backupsTo}' in this blueprint; declared: ${bp.dataStores.objectStores.map((o) => o.name).join(", ") || "none"} (add it under dataStores.objectStores)`,
      );
    if (pg.placement !== "in-cluster")
      add(at, "RDS keeps its backups in AWS Backup and snapshots, not in a bucket: remove backupsTo, or set placement: in-cluster");
    if (!pg.pitr) add(at, "backupsTo needs pitr: true (the WAL archive and base backups are what is written there)");
  });
  // No Scylla backups are taken (no Scylla Manager): the blueprint states where the keyspaces come back from.
  bp.dataStores.scylla.forEach((sc, j) => {
    if (sc.rebuiltFrom === undefined) {
      add(
        ["blueprint", "dataStores", "scylla", j, "rebuiltFrom"],
        "state where the keyspaces are rebuilt from after a total loss (no Scylla backups are taken: Scylla Manager is not deployed), e.g. `rebuiltFrom: the chain, re-read from the Cardano network by the gateway`",
      );
    }
  });
  // No bucket that nobody writes: every object store is used by a service (connectsTo or a
  // dataStore:objectStore/<name> secret) or receives a database's backups (postgres backupsTo).
  bp.dataStores.objectStores.forEach((o, j) => {
    const ref = `objectStore/${o.name}`;
    const used =
      bp.services.some((s) => s.connectsTo.includes(ref) || s.secrets.some((x) => x.from.split("#")[0] === `dataStore:${ref}`)) ||
      bp.dataStores.postgres.some((pg) => pg.backupsTo === o.name);
    if (!used)
      add(
        ["blueprint", "dataStores", "objectStores", j, "name"],
        `object store '${o.name}' is used by nothing: list it in a service's connectsTo, or name it in a postgres store's backupsTo, or remove it`,
      );
  });
  // The blueprint's own metrics: each exposed by a declared service with a metrics port; alert names unique per severity.
  bp.monitoring.exposes.forEach((m, j) => {
    const svc = bp.services.find((s) => s.name === m.service);
    if (!svc)
      add(
        ["blueprint", "monitoring", "exposes", j, "service"],
        `no service '${m.service}' in this blueprint; services: ${bp.services.map((s) => s.name).join(", ")}`,
      );
    else if (svc.ports.metrics === undefined)
      add(
        ["blueprint", "monitoring", "exposes", j, "service"],
        `service '${m.service}' has no metrics port: add \`ports.metrics\` to it or name the service that exposes ${m.metric}`,
      );
  });
  // A canary/blue-green analysis reads the metrics its service exposes: where the blueprint declares
  // what a service exposes, the analysis must name those (else every measurement finds no data and
  // the rollout aborts; before issue 17 it passed).
  bp.services.forEach((svc, i) => {
    if (svc.strategy === "rolling") return;
    const declared = bp.monitoring.exposes.filter((m) => m.service === svc.name);
    if (!declared.length) return;
    const an = (svc.rollout ?? ROLLOUT_DEFAULTS).analysis;
    const want = (field: "requests" | "latency", metric: string, type: "counter" | "histogram") => {
      if (declared.some((m) => m.metric === metric && m.type === type)) return;
      add(
        ["blueprint", "services", i, "rollout", "analysis", field, "metric"],
        `the ${svc.strategy} analysis of '${svc.name}' reads the ${type} \`${metric}\`${svc.rollout?.analysis ? "" : " (the default)"}, but monitoring.exposes declares for '${svc.name}' only ${declared.map((m) => `${m.metric} (${m.type})`).join(", ")}: set rollout.analysis.${field} to what the service exposes, or declare the metric in monitoring.exposes`,
      );
    };
    want("requests", an.requests.metric, an.requests.type);
    want("latency", an.latency.metric, "histogram");
  });
  const alertKeys = new Set<string>();
  bp.monitoring.alerts.forEach((a, j) => {
    const key = `${a.alert}/${a.severity}`;
    if (alertKeys.has(key))
      add(["blueprint", "monitoring", "alerts", j, "alert"], `duplicate alert ${a.alert} with severity ${a.severity}: one rule per name and severity`);
    alertKeys.add(key);
  });
  if ((bp.monitoring.alerts.length > 0 || bp.monitoring.dashboard) && !bp.monitoring.metrics) {
    add(
      ["blueprint", "monitoring", "metrics"],
      "the blueprint declares alerts or a dashboard but metrics are off: set `monitoring.metrics: true` or remove them",
    );
  }
  bp.services.forEach((svc, i) => {
    svc.calls.forEach((c, j) => {
      if (c === svc.name) add(["blueprint", "services", i, "calls", j], "a service does not need to list itself in `calls`");
      else if (!names.has(c)) add(["blueprint", "services", i, "calls", j], `no service '${c}' in this blueprint`);
    });
  });

  for (const [name, net] of Object.entries(bp.externalNetworks)) {
    if (net.cidrs.some((c) => OPEN.has(c)) && net.ports.some((p) => p !== 443)) {
      add(
        ["blueprint", "externalNetworks", name, "ports"],
        "egress to the whole internet is allowed only on 443 (HTTPS SaaS); list the peer's CIDRs for other ports",
      );
    }
  }

  if (bp.edge?.origin) {
    const svc = bp.services.find((s) => s.name === bp.edge!.origin!.service);
    if (!svc) add(["blueprint", "edge", "origin", "service"], `no service '${bp.edge.origin.service}' in this blueprint`);
    else if (svc.exposure !== "public" || svc.routes.length === 0)
      add(["blueprint", "edge", "origin", "service"], `the CDN can only front a public service with a route; '${svc.name}' is ${svc.exposure}`);
  }

  // The web app's builds (platform:webBuilds): what each names must exist in the blueprint. The
  // directories themselves are read by loadSpec (resolveWebBuilds), which knows the project directory.
  if (config.webBuilds?.edge !== undefined && !bp.edge) {
    const servers = bp.services.filter((s) => s.exposure === "public" && s.servesWebApp).map((s) => s.name);
    add(
      ["config", "webBuilds", "edge"],
      `blueprint '${bp.name}' has no edge site, so nothing would upload or serve this build: remove platform:webBuilds.edge${servers.length ? `, or give it as platform:webBuilds.services.${servers[0]} (the service that serves the web app)` : ""}`,
    );
  }
  // A Cloudflare edge uploads its build through R2's S3 endpoint with an R2 API token's key pair.
  if (
    config.webBuilds?.edge !== undefined &&
    bp.edge?.provider === "cloudflare" &&
    tier.cloudAccount &&
    config.cloudflare &&
    !config.cloudflare.r2AccessKeyId
  ) {
    add(
      ["config", "cloudflare", "r2AccessKeyId"],
      "the edge build (platform:webBuilds.edge) is uploaded to R2 through its S3 endpoint: create an R2 API token with Object Read & Write on the edge's bucket, set its Access Key ID here and store its Secret Access Key in Secrets Manager (platform:cloudflare.r2SecretKeySecret, default platform/<stack>/r2-secret-access-key)",
    );
  }
  // The hashes would be switched off by 'unsafe-inline' next to them (browsers ignore it when a hash
  // is present, so the policy would not mean what it says): the components refuse it too (headers.ts).
  const hashedBuilds = [
    ...(config.webBuilds?.edge !== undefined && bp.edge ? ["platform:webBuilds.edge"] : []),
    ...Object.keys(config.webBuilds?.services ?? {}).map((n) => `platform:webBuilds.services.${n}`),
  ];
  if (bp.edge && hashedBuilds.length && /'unsafe-inline'/.test(scriptSrcOf(bp.edge.csp) ?? "")) {
    add(
      ["blueprint", "edge", "csp"],
      `script-src allows 'unsafe-inline', and ${hashedBuilds.join(", ")} adds the build's inline-script hashes next to it: remove 'unsafe-inline' from script-src (the hashes allow exactly the build's inline scripts)`,
    );
  }
  for (const name of Object.keys(config.webBuilds?.services ?? {})) {
    const problem = webAppServiceProblem(bp.services, name);
    if (problem) add(["config", "webBuilds", "services", name], problem);
  }

  issues.push(...alertingIssues(config));
  issues.push(...registryIssues(config));
  // The platform's ECR registry and image admission, checked on the images the services will run.
  if (config.imageRegistry || config.admission) {
    const imgs = serviceImages({
      stack,
      blueprint: bp,
      region: config.regions.primary,
      ...(config.imageRegistry ? { imageRegistry: config.imageRegistry } : {}),
      overrides: config.overrides.services,
    });
    issues.push(
      ...imageIssues({
        tier: config.tier,
        hosting,
        ...(config.imageRegistry ? { imageRegistry: config.imageRegistry } : {}),
        ...(config.admission ? { admission: config.admission } : {}),
        registries: config.registries,
        images: imgs.named,
        resolved: imgs.resolved,
        ...(imgs.ecr ? { ecr: imgs.ecr } : {}),
      }),
    );
  }

  // Signing keys: rotation state per declared signing key, each state valid on its own (the ledger
  // checks the step from the last deployment); a KMS signer needs Kubernetes in an AWS account.
  const signingKeys = new Map(bp.secrets.generated.flatMap((g, j) => (g.signer ? [[g.name, { g, j }] as const] : [])));
  for (const [name, r] of Object.entries(config.signingKeys)) {
    if (!signingKeys.has(name))
      add(
        ["config", "signingKeys", name],
        `'${name}' is not a signing key of the blueprint (${[...signingKeys.keys()].join(", ") || "none"}): a generated secret with a \`signer\``,
      );
    for (const p of validateRotation(`platform:signingKeys.${name}`, r)) add(["config", "signingKeys", name], p);
  }
  for (const { g, j } of signingKeys.values()) {
    const mode = config.hosting ?? tier.hosting;
    if (g.signer === "kms" && mode !== "kubernetes" && !tier.rawSignerFallback) {
      add(
        ["blueprint", "secrets", "generated", j, "signer"],
        `a KMS signer signs through the service's IRSA role on Kubernetes; tier ${config.tier} runs on a single host, where only a raw key could sign: run this stack on Kubernetes (platform:hosting: kubernetes), or set signer: raw`,
      );
    }
  }
  // Human secrets: must be set where the tier requires its secrets (the offline plan supplies placeholders).
  for (const s of bp.secrets.external) {
    if (tier.secretsRequired && config.secrets[s.name] === undefined) {
      add(["config", "secrets", s.name], `secret '${s.name}' is not set: \`pulumi config set --secret --path platform:secrets.${s.name} <value>\``);
    }
  }
  for (const k of Object.keys(config.secrets)) {
    if (!external.has(k))
      add(["config", "secrets", k], `'${k}' is not a secret the blueprint declares (${[...external].join(", ") || "none"}): remove it or fix its spelling`);
  }
  issues.push(...releaseIssues(config, bp));
  for (const k of Object.keys(config.overrides.services)) {
    if (!names.has(k)) add(["config", "overrides", "services", k], `no service '${k}' in blueprint '${bp.name}' (services: ${[...names].join(", ")})`);
  }
  return issues;
}

function checkService(svc: ServiceSpec, at: (...p: (string | number)[]) => (string | number)[], add: (p: (string | number)[], m: string) => void) {
  const { http, metrics, health } = svc.ports;
  if (metrics !== undefined && metrics === http)
    add(at("ports", "metrics"), "the metrics port must differ from the http port, or metrics would be reachable wherever the service is");
  if (metrics !== undefined && health !== undefined && metrics === health && health !== http) {
    add(at("ports", "metrics"), "the metrics port must differ from the health port");
  }
  if (svc.exposure === "public" && svc.routes.length === 0) add(at("routes"), "a public service needs at least one route (host and path)");
  if (svc.exposure !== "public" && svc.routes.length > 0)
    add(at("routes"), `only public services have ingress routes; this one is '${svc.exposure}': remove the routes or set exposure: public`);
  if (svc.exposure !== "public" && svc.cors) add(at("cors"), "CORS applies to public services only");
  if (svc.exposure !== "public" && svc.servesWebApp) add(at("servesWebApp"), "a service that serves the web app must be public");
  svc.routes.forEach((r, j) => {
    if (!r.tls) add(at("routes", j, "tls"), "public routes always terminate TLS at the ingress: remove `tls: false`");
    if (r.port === "metrics")
      add(at("routes", j, "port"), "the metrics port is never routed by a public ingress: route `http` and let Prometheus scrape metrics in-cluster");
    if (r.port === "health" && health === undefined) add(at("routes", j, "port"), "no health port is declared");
    if (r.group !== "default" && !svc.rateLimits[r.group]) add(at("routes", j, "group"), `rate-limit group '${r.group}' has no entry in \`rateLimits\``);
  });
  for (const g of Object.keys(svc.rateLimits)) {
    if (!svc.routes.some((r) => r.group === g)) add(at("rateLimits", g), `no route uses rate-limit group '${g}': fix the group name or remove it`);
  }
  for (const g of Object.keys(svc.requestBodyLimits)) {
    if (!svc.routes.some((r) => r.group === g))
      add(at("requestBodyLimits", g), `no route uses route group '${g}': name a group of \`routes[].group\` or remove the entry`);
  }
  if (svc.cors?.allowCredentials && svc.cors.allowedOrigins.length === 0) add(at("cors"), "credentials need explicit origins");
  if (svc.workload === "statefulset" && svc.strategy !== "rolling") add(at("strategy"), "blue-green and canary apply to Deployments; a StatefulSet rolls");
}

/** The resolved spec: blueprint topology + the tier's row + stack overrides, fully explicit. */
export interface PlatformSpec {
  stack: string;
  tier: TierName;
  profile: TierProfile;
  blueprint: BlueprintSpec;
  domain: string;
  regions: { primary: string; backup?: string };
  hosting:
    | {
        mode: "kubernetes";
        cluster: "existing" | "eks";
        ingressController: "traefik";
        version: string;
        publicAccessCidrs: string[];
        kubeconfig?: string;
        context?: string;
        renderDir?: string;
      }
    | { mode: "singleHost"; proxy: "caddy"; sshAllowList: string[]; sshPublicKey?: string; instanceType: string; sshKeySecret: string };
  /** `apiTokenSecret`: the Secrets Manager secret the Cloudflare provider's token is read from. */
  cloudflare?: { accountId: string; zoneId: string; apiTokenSecret: string; plan: CloudflarePlan; r2AccessKeyId?: string; r2SecretKeySecret: string };
  /** Where the stack's deploy runs (absent in the local tier). */
  delivery?: { repository: string; connectionArn: string; previewRoleArn?: string };
  /** Argo CD single sign-on (`platform:argocd.sso`); `clientSecret` says whether one is set (the composer reads its value as a secret). */
  argocd?: { sso?: { issuer: string; clientId: string; clientSecret: boolean; adminGroups?: string[]; deployerGroups?: string[]; viewerGroups?: string[] } };
  route53ZoneId?: string;
  /** The zone `cloudflare.zoneId` / `route53ZoneId` names (`platform:dnsZone`). */
  dnsZone?: string;
  certificates?: { email: string; corporateCaSecret?: string };
  /** Names of human secrets present in config (values are read as secrets by the composition). */
  providedSecrets: string[];
  /** Rotation state of the blueprint's signing keys (`platform:signingKeys`; absent key = `{ current: "1" }`). */
  signingKeys: Record<string, SigningKeyRotation>;
  alertEmail?: string;
  /** Alert receivers and severity routes (`platform:alerting`); their secrets are read by the monitoring composer. */
  alerting?: Alerting;
  /** Per service: image and replica range after overrides; the stack's rollout knobs (blueGreen/canary). */
  services: Record<string, { image: string; replicas: { min: number; max: number }; rollout?: RolloutOverride }>;
  /** Private registries the stack pulls from (`platform:registries`); passwords are read as secrets by the program. */
  registries: Registry[];
  /** The platform's ECR registry (`platform:imageRegistry`): service images come from it. */
  imageRegistry?: ImageRegistryConfig;
  /** Image admission (`platform:admission`): Kyverno and its ClusterPolicies. */
  admission?: AdmissionConfig;
  /** Where every Helm release takes its chart from (`platform:charts.mirror`, else PLATFORM_CHARTS_MIRROR, else official). */
  charts: ChartMirror;
  /**
   * The web app's builds on the deploy machine (`platform:webBuilds`), absolute paths checked by
   * loadSpec: `edge` is uploaded by the EdgeSite, `services.<name>` gives that servesWebApp
   * service's CSP hashes (single host and Kubernetes).
   */
  webBuilds: WebBuilds;
}

export interface WebBuilds {
  edge?: string;
  services: Record<string, string>;
}

export function resolvePlatform(src: PlatformSource, charts: ChartMirror = OFFICIAL_REPOSITORIES, webBuilds: WebBuilds = { services: {} }): PlatformSpec {
  const { config, blueprint: bp } = src;
  const profile = TIERS[config.tier];
  const mode = config.hosting ?? profile.hosting;
  const hosting: PlatformSpec["hosting"] =
    mode === "kubernetes"
      ? {
          mode,
          cluster: config.cluster.mode ?? profile.cluster,
          ingressController: bp.hosting.kubernetes?.ingressController ?? "traefik",
          version: config.cluster.version,
          publicAccessCidrs: config.cluster.publicAccessCidrs,
          ...(config.cluster.kubeconfig ? { kubeconfig: config.cluster.kubeconfig } : {}),
          ...(config.cluster.context ? { context: config.cluster.context } : {}),
          ...(config.cluster.renderDir ? { renderDir: config.cluster.renderDir } : {}),
        }
      : {
          mode,
          proxy: bp.hosting.singleHost?.proxy ?? "caddy",
          sshAllowList: config.host.sshAllowList,
          ...(config.host.sshPublicKey ? { sshPublicKey: config.host.sshPublicKey } : {}),
          instanceType: config.host.instanceType,
          sshKeySecret: config.host.sshKeySecret ?? defaultSecretName(src.stack, "host-deploy-key"),
        };
  const images = serviceImages({
    stack: src.stack,
    blueprint: bp,
    region: config.regions.primary,
    ...(config.imageRegistry ? { imageRegistry: config.imageRegistry } : {}),
    overrides: config.overrides.services,
  });
  const services: PlatformSpec["services"] = {};
  for (const svc of bp.services) {
    const o = config.overrides.services[svc.name];
    services[svc.name] = {
      image: images.resolved[svc.name]!,
      replicas: o?.replicas ?? serviceReplicas(profile, svc),
      ...(o?.rollout ? { rollout: o.rollout } : {}),
    };
  }
  return {
    stack: src.stack,
    tier: config.tier,
    profile,
    blueprint: bp,
    domain: config.domain,
    regions: config.regions,
    hosting,
    ...(config.cloudflare
      ? {
          cloudflare: {
            ...config.cloudflare,
            plan: config.cloudflare.plan ?? "free",
            apiTokenSecret: config.cloudflare.apiTokenSecret ?? defaultSecretName(src.stack, "cloudflare-api-token"),
            r2SecretKeySecret: config.cloudflare.r2SecretKeySecret ?? defaultSecretName(src.stack, "r2-secret-access-key"),
          },
        }
      : {}),
    ...(config.delivery ? { delivery: config.delivery } : {}),
    ...(config.argocd
      ? { argocd: config.argocd.sso ? { sso: { ...config.argocd.sso, clientSecret: config.argocd.sso.clientSecret !== undefined } } : {} }
      : {}),
    ...(config.route53ZoneId ? { route53ZoneId: config.route53ZoneId } : {}),
    ...(config.dnsZone ? { dnsZone: config.dnsZone } : {}),
    ...(config.certificates ? { certificates: config.certificates } : {}),
    providedSecrets: Object.keys(config.secrets),
    signingKeys: Object.fromEntries(bp.secrets.generated.filter((g) => g.signer).map((g) => [g.name, config.signingKeys[g.name] ?? { current: "1" }])),
    ...(config.alertEmail ? { alertEmail: config.alertEmail } : {}),
    ...(config.alerting ? { alerting: config.alerting } : {}),
    services,
    registries: config.registries,
    ...(config.imageRegistry ? { imageRegistry: config.imageRegistry } : {}),
    ...(config.admission ? { admission: config.admission } : {}),
    charts,
    webBuilds,
  };
}

/** Default Secrets Manager name of a stack's deploy-time secret: `platform/<stack>/<what>`. */
export function defaultSecretName(stack: string, what: "cloudflare-api-token" | "host-deploy-key" | "r2-secret-access-key"): string {
  return `platform/${stack}/${what}`;
}

/** `api` + example.com → api.example.com; `@` → the apex. */
export function fqdn(label: string, domain: string): string {
  return label === "@" ? domain : `${label}.${domain}`;
}
