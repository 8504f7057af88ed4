/**
 * Security baseline: restricted pod security, resources and probes, pinned images, encryption
 * at rest, backups and deletion protection in prod, IMDSv2, EKS hardening.
 * Advisory in dev, mandatory in staging and prod (see lib/config.ts).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  asArray,
  containersOf,
  depsOf,
  forTypes,
  isSet,
  isUnknownValue,
  isWorld,
  K8S,
  nsOf,
  ofTypes,
  peek,
  podSpecOf,
  raw,
  resourcePolicy,
  ROLE_LABEL,
  schema,
  stackPolicy,
  tierOfResource,
  tierOfStack,
  truthy,
  UNKNOWN,
  unknownInPreview,
  unpinnedReason,
  WORKLOAD_TYPES,
} from "./lib/util";
import { podNamespaces } from "./segmentation";

const PSS_EXEMPT = ["kube-system", "kube-public", "kube-node-lease"];

/** Restricted-profile problems of one pod spec (Pod Security Standards, restricted). */
export function restrictedProblems(spec: any): string[] {
  const out: string[] = [];
  const psc = spec?.securityContext ?? {};
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (spec?.[k] === true) out.push(`${k}: true`);
  for (const v of asArray<any>(spec?.volumes)) if (v?.hostPath) out.push(`hostPath volume '${v.name}'`);
  for (const c of containersOf(spec)) {
    const sc = c?.securityContext ?? {};
    const n = `container '${c?.name}'`;
    if (sc.privileged === true) out.push(`${n} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${n} does not set allowPrivilegeEscalation: false`);
    if (!(sc.runAsNonRoot === true || (psc.runAsNonRoot === true && sc.runAsNonRoot !== false))) out.push(`${n} does not run as non-root (runAsNonRoot: true)`);
    if (sc.runAsUser === 0 || (sc.runAsUser === undefined && psc.runAsUser === 0)) out.push(`${n} runs as UID 0`);
    if (!asArray<string>(sc.capabilities?.drop).some((x) => x === "ALL")) out.push(`${n} does not drop ALL capabilities`);
    const added = asArray<string>(sc.capabilities?.add).filter((x) => x !== "NET_BIND_SERVICE");
    if (added.length) out.push(`${n} adds capabilities ${added.join(", ")}`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") out.push(`${n} has no seccompProfile RuntimeDefault`);
  }
  return out;
}

/** Pod Security Standards "baseline" problems of one pod spec. */
export function baselineProblems(spec: any): string[] {
  const out: string[] = [];
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (spec?.[k] === true) out.push(`${k}: true`);
  for (const v of asArray<any>(spec?.volumes)) if (v?.hostPath) out.push(`hostPath volume '${v.name}'`);
  const allowedCaps = new Set([
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
  ]);
  for (const c of containersOf(spec)) {
    const sc = c?.securityContext ?? {};
    const n = `container '${c?.name}'`;
    if (sc.privileged === true) out.push(`${n} is privileged`);
    const added = asArray<string>(sc.capabilities?.add).filter((x) => !allowedCaps.has(x));
    if (added.length) out.push(`${n} adds capabilities ${added.join(", ")}`);
    for (const p of asArray<any>(c?.ports)) if (p?.hostPort) out.push(`${n} uses hostPort ${p.hostPort}`);
    if ((sc.seccompProfile?.type ?? spec?.securityContext?.seccompProfile?.type) === "Unconfined") out.push(`${n} runs seccomp Unconfined`);
  }
  return out;
}

type PssLevel = "privileged" | "baseline" | "restricted";
const RANK: Record<PssLevel, number> = { privileged: 0, baseline: 1, restricted: 2 };
/** Lowest Pod Security level a namespace may enforce, by its platform.io/role label (default restricted). */
export const DEFAULT_ROLE_LEVELS: Record<string, PssLevel> = {
  ingress: "baseline",
  monitoring: "privileged",
  "data-privileged": "privileged",
  "operator-baseline": "baseline",
};

export const podSecurity: StackValidationPolicy = stackPolicy({
  name: "baseline-pod-security-restricted",
  description:
    "Namespaces that run pods enforce Pod Security 'restricted' (label pod-security.kubernetes.io/enforce) and their pods meet it; namespaces whose platform.io/role is listed in config roleLevels may enforce a lower level (default: ingress baseline, monitoring privileged, data-privileged privileged — ScyllaDB runs as root with CAP_SYS_NICE; operator-baseline baseline — an operator chart whose pods cannot meet restricted), and their pods meet that level.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({
    exemptNamespaces: { type: "array", items: { type: "string" }, default: PSS_EXEMPT } as any,
    roleLevels: { type: "object", default: DEFAULT_ROLE_LEVELS } as any,
  }),
  validateStack: (args, report) => {
    const cfg = args.getConfig<{ exemptNamespaces?: string[]; roleLevels?: Record<string, PssLevel> }>();
    const exempt = cfg.exemptNamespaces ?? PSS_EXEMPT;
    const roleLevels = cfg.roleLevels ?? DEFAULT_ROLE_LEVELS;
    const nsRes = new Map(ofTypes(args.resources, K8S.namespace).map((n) => [n.props.metadata?.name ?? n.name, n] as const));
    const allowed = (ns: string): PssLevel => roleLevels[nsRes.get(ns)?.props.metadata?.labels?.[ROLE_LABEL] ?? ""] ?? "restricted";
    for (const w of ofTypes(args.resources, ...WORKLOAD_TYPES)) {
      const ns = nsOf(w.props);
      if (exempt.includes(ns)) continue;
      const level = allowed(ns);
      const spec = podSpecOf(w.type, w.props);
      const problems = level === "restricted" ? restrictedProblems(spec) : level === "baseline" ? baselineProblems(spec) : [];
      if (problems.length)
        report(`${w.type.split(":")[2]} '${w.props.metadata?.name ?? w.name}' (namespace ${ns}, level ${level}): ${problems.join("; ")}`, w.urn);
    }
    // Namespaces that run pods, and every namespace the stack declares (a namespace is made to run pods).
    const namespaces = podNamespaces(args.resources);
    for (const [ns, n] of nsRes) if (!namespaces.has(ns)) namespaces.set(ns, [n]);
    for (const [ns, ws] of namespaces) {
      if (exempt.includes(ns)) continue;
      const n = nsRes.get(ns);
      const level = n?.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"] as PssLevel | undefined;
      const min = allowed(ns);
      if (!level || !(RANK[level] >= RANK[min])) {
        report(
          `namespace '${ns}' ${n ? `enforces '${level ?? "nothing"}'` : "is not declared in this stack, so nothing enforces"} Pod Security; label it pod-security.kubernetes.io/enforce: ${min}`,
          n?.urn ?? ws[0]!.urn,
        );
      }
    }
  },
});

export const resourcesAndProbes: ResourceValidationPolicy = resourcePolicy({
  name: "baseline-resources-probes",
  description: "Containers declare CPU/memory requests and a memory limit; long-running containers have readiness and liveness probes.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: forTypes(WORKLOAD_TYPES, (props, args, report) => {
    const spec = podSpecOf(args.type, props) ?? {};
    const longRunning = args.type !== K8S.job && args.type !== K8S.cronJob;
    for (const c of asArray<any>(spec.containers)) {
      const r = c?.resources ?? {};
      const missing = [!r.requests?.cpu && "requests.cpu", !r.requests?.memory && "requests.memory", !r.limits?.memory && "limits.memory"].filter(Boolean);
      if (missing.length) report(`container '${c?.name}' has no ${missing.join(", ")}`);
      if (longRunning) {
        const probes = [!c?.readinessProbe && "readinessProbe", !c?.livenessProbe && "livenessProbe"].filter(Boolean);
        if (probes.length) report(`container '${c?.name}' has no ${probes.join(" or ")}`);
      }
    }
  }),
});

function helmImageProblems(v: unknown, path = "values"): string[] {
  if (!v || typeof v !== "object") return [];
  const o = v as Record<string, unknown>;
  const out: string[] = [];
  if (typeof o.repository === "string" && (o.tag === "latest" || (o.tag === undefined && o.digest === undefined && "tag" in o)))
    out.push(`${path}: image ${o.repository}:${o.tag ?? "(none)"}`);
  for (const [k, x] of Object.entries(o)) out.push(...helmImageProblems(x, `${path}.${k}`));
  return out;
}

/** One image reference an AWS compute resource runs, or what could not be read (unknown in preview, not JSON). */
export type AwsImageRef = { where: string; image: string } | { where: string; unreadable: string };

const ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition";
const BATCH_JOB = "aws:batch/jobDefinition:JobDefinition";
const LAMBDA = "aws:lambda/function:Function";
const APPRUNNER = "aws:apprunner/service:Service";
export const AWS_IMAGE_TYPES = [ECS_TASK, BATCH_JOB, LAMBDA, APPRUNNER];

/**
 * The images an AWS compute resource runs, from its inputs as @pulumi/aws 7 takes them:
 *  - ECS task definition `containerDefinitions`: a JSON string, an array of container definitions (`name`, `image`);
 *  - Batch job definition `containerProperties` (JSON, `image`), `nodeProperties` (JSON,
 *    `nodeRangeProperties[].container.image` or `.ecsProperties.taskProperties[].containers[].image`),
 *    `ecsProperties` (JSON, `taskProperties[].containers[].image`), `eksProperties` (an object,
 *    `podProperties.containers[].image` and `initContainers[].image`);
 *  - Lambda function `imageUri` (container-image functions);
 *  - App Runner service `sourceConfiguration.imageRepository.imageIdentifier`.
 * A value not known (unknown in preview, e.g. `pulumi.jsonStringify` over an ECR repository URL)
 * or a string that is not JSON is returned as unreadable, never skipped.
 */
export function awsImageRefs(type: string, props: unknown): AwsImageRef[] {
  const out: AwsImageRef[] = [];
  const image = (where: string, v: unknown): void => {
    if (v === UNKNOWN || isUnknownValue(v)) out.push({ where, unreadable: "not known" });
    else if (typeof v === "string" && v !== "") out.push({ where, image: v });
    else if (v !== undefined) out.push({ where, unreadable: `image is ${JSON.stringify(v)}` });
  };
  const json = (field: string): unknown => {
    const v = peek(props, field);
    if (v === undefined || v === null || v === "") return undefined;
    if (v === UNKNOWN) {
      out.push({ where: field, unreadable: "not known" });
      return undefined;
    }
    if (typeof v !== "string") return v; // already an object (outputs of some SDK versions)
    try {
      return JSON.parse(v);
    } catch {
      out.push({ where: field, unreadable: "not valid JSON" });
      return undefined;
    }
  };
  const containers = (where: string, list: unknown): void => {
    asArray<any>(list as any).forEach((c, i) => image(`${where} '${c?.name ?? i}'`, c?.image));
  };
  const taskProperties = (where: string, ecs: any): void => {
    asArray<any>(ecs?.taskProperties).forEach((t, i) => containers(`${where}.taskProperties[${i}] container`, t?.containers));
  };
  const podProperties = (where: string, eks: any): void => {
    containers(`${where}.podProperties container`, eks?.podProperties?.containers);
    containers(`${where}.podProperties init container`, eks?.podProperties?.initContainers);
  };
  if (type === ECS_TASK) {
    const defs = json("containerDefinitions");
    if (defs !== undefined) containers("container", defs);
  } else if (type === BATCH_JOB) {
    const cp = json("containerProperties") as any;
    if (cp !== undefined) image("containerProperties", cp?.image);
    const np = json("nodeProperties") as any;
    asArray<any>(np?.nodeRangeProperties).forEach((n, i) => {
      if (n?.container) image(`nodeProperties.nodeRangeProperties[${i}].container`, n.container.image);
      if (n?.ecsProperties) taskProperties(`nodeProperties.nodeRangeProperties[${i}].ecsProperties`, n.ecsProperties);
      if (n?.eksProperties) podProperties(`nodeProperties.nodeRangeProperties[${i}].eksProperties`, n.eksProperties);
    });
    const ecs = json("ecsProperties");
    if (ecs !== undefined) taskProperties("ecsProperties", ecs);
    const eks = peek(props, "eksProperties");
    if (eks === UNKNOWN) out.push({ where: "eksProperties", unreadable: "not known" });
    else if (eks) podProperties("eksProperties", eks);
  } else if (type === LAMBDA) {
    if (peek(props, "imageUri") !== undefined) image("imageUri", peek(props, "imageUri"));
  } else if (type === APPRUNNER) {
    const repo = peek(props, "sourceConfiguration", "imageRepository");
    if (repo === UNKNOWN) out.push({ where: "sourceConfiguration.imageRepository", unreadable: "not known" });
    else if (repo) image("imageIdentifier", peek(repo, "imageIdentifier"));
  }
  return out;
}

export const pinnedImages: StackValidationPolicy = stackPolicy({
  name: "baseline-pinned-images",
  description:
    "In staging and prod, every image is pinned: a version tag (not latest/stable/main) or a digest — Kubernetes containers, Docker containers/images, Helm image values, ECS task definitions, Batch job definitions, container-image Lambda functions and App Runner services.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: (args, report) => {
    if (tierOfStack(args) === "dev") return;
    // Images whose value is not known (preview) or not readable: judged on update, never passed here.
    const unknown: { what: string; urn: string }[] = [];
    for (const w of ofTypes(args.resources, ...WORKLOAD_TYPES)) {
      const name = w.props.metadata?.name ?? w.name;
      for (const c of containersOf(podSpecOf(w.type, raw(w.props)))) {
        if (isUnknownValue(c?.image)) {
          unknown.push({ what: `${w.type.split(":")[2]} '${name}' container '${c?.name}'`, urn: w.urn });
          continue;
        }
        const why = typeof c?.image === "string" ? unpinnedReason(c.image) : `container '${c?.name}' has no image`;
        if (why) report(`${name}/${c?.name}: ${why}`, w.urn);
      }
    }
    for (const r of ofTypes(args.resources, ...AWS_IMAGE_TYPES)) {
      const kind = r.type.split(":")[2];
      for (const ref of awsImageRefs(r.type, r.props)) {
        if ("unreadable" in ref) {
          unknown.push({ what: `${kind} '${r.name}' ${ref.where}${ref.unreadable === "not known" ? "" : ` (${ref.unreadable})`}`, urn: r.urn });
          continue;
        }
        const why = unpinnedReason(ref.image);
        if (why) report(`${kind} '${r.name}' ${ref.where}: ${why}`, r.urn);
      }
    }
    for (const c of ofTypes(args.resources, "docker:index/container:Container")) {
      const from: PolicyResource[] = depsOf(c, "image", "docker:index/remoteImage:RemoteImage", "docker:index/image:Image");
      if (!from.length && c.props.image === undefined) continue; // image computed from something not in this stack
      const names = from.length ? from.map((r) => String(r.props.name ?? r.props.imageName ?? "")) : [String(c.props.image)];
      for (const n of names) {
        const why = unpinnedReason(n);
        if (why) report(`container '${c.name}': ${why}`, c.urn);
      }
    }
    for (const r of ofTypes(args.resources, "docker:index/remoteImage:RemoteImage")) {
      const why = unpinnedReason(String(r.props.name ?? ""));
      if (why) report(`remote image '${r.name}': ${why}`, r.urn);
    }
    for (const h of ofTypes(args.resources, K8S.helmRelease)) {
      if (!isSet(h.props, "version")) report(`Helm release '${h.name}' does not pin a chart version`, h.urn);
      for (const p of helmImageProblems(raw(h.props).values)) report(`Helm release '${h.name}' ${p} is not pinned`, h.urn);
    }
    if (unknown.length) {
      throw unknownInPreview(
        `the image of ${unknown.map((u) => u.what).join(", ")} is not known in this run, so whether it is pinned was not judged (unknown in preview: run with --update, or pulumi preview after the first deploy)`,
        unknown.map((u) => u.urn),
      );
    }
  },
});

export const encryptionAtRest: ResourceValidationPolicy = resourcePolicy({
  name: "baseline-encryption-at-rest",
  description:
    "Data at rest is encrypted: RDS instances and clusters, Redshift clusters, ElastiCache replication groups, EBS volumes, EFS file systems, EC2 and launch-template block devices.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: [
    forTypes(["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"], (props, args, report) => {
      if (args.type === "aws:rds/instance:Instance" && isSet(props, "replicateSourceDb")) return; // follows the source
      if (!truthy(props.storageEncrypted)) report("storageEncrypted is not true; encrypt the storage (KMS)");
    }),
    forTypes(["aws:elasticache/replicationGroup:ReplicationGroup"], (props, _a, report) => {
      if (!truthy(props.atRestEncryptionEnabled)) report("atRestEncryptionEnabled is not true");
    }),
    forTypes(["aws:redshift/cluster:Cluster"], (props, _a, report) => {
      if (!truthy(props.encrypted))
        report(
          `encrypted is ${props.encrypted === undefined ? "unset" : props.encrypted}; set encrypted: true (with a kmsKeyId) so the cluster's data at rest is encrypted`,
        );
    }),
    forTypes(["aws:ebs/volume:Volume", "aws:efs/fileSystem:FileSystem"], (props, _a, report) => {
      if (!truthy(props.encrypted)) report("encrypted is not true");
    }),
    forTypes(["aws:ec2/instance:Instance"], (props, _a, report) => {
      if (props.rootBlockDevice && !truthy(props.rootBlockDevice.encrypted)) report("rootBlockDevice.encrypted is not true");
      if (!props.rootBlockDevice) report("no rootBlockDevice with encrypted: true (the AMI default may be unencrypted)");
      for (const d of asArray<any>(props.ebsBlockDevices)) if (!truthy(d?.encrypted)) report(`EBS block device ${d?.deviceName} is not encrypted`);
    }),
    forTypes(["aws:ec2/launchConfiguration:LaunchConfiguration"], (props, _a, report) => {
      if (props.rootBlockDevice && !truthy(props.rootBlockDevice.encrypted)) report("rootBlockDevice.encrypted is not true");
      for (const d of asArray<any>(props.ebsBlockDevices)) if (!truthy(d?.encrypted)) report(`EBS block device ${d?.deviceName} is not encrypted`);
    }),
    forTypes(["aws:ec2/launchTemplate:LaunchTemplate"], (props, _a, report) => {
      for (const d of asArray<any>(props.blockDeviceMappings)) if (d?.ebs && !truthy(d.ebs.encrypted)) report(`block device ${d.deviceName} is not encrypted`);
    }),
  ],
});

const MIN_RETENTION = 7;

export const backupsAndProtection: ResourceValidationPolicy = resourcePolicy({
  name: "baseline-backups-deletion-protection",
  description: "In prod, stateful resources have backups (≥ 7 days), deletion protection, a final snapshot, and the Pulumi `protect` option.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: schema({ minBackupRetentionDays: { type: "number", default: MIN_RETENTION } as any }),
  validateResource: [
    forTypes(["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"], (props, args, report) => {
      if (tierOfResource(args) !== "prod") return;
      const min = args.getConfig<{ minBackupRetentionDays?: number }>().minBackupRetentionDays ?? MIN_RETENTION;
      const replica = args.type === "aws:rds/instance:Instance" && isSet(props, "replicateSourceDb");
      if (!replica && !((props.backupRetentionPeriod ?? 0) >= min))
        report(`backupRetentionPeriod is ${props.backupRetentionPeriod ?? "unset"}; keep at least ${min} days in prod`);
      if (props.deletionProtection !== true) report("deletionProtection is not true");
      if (!replica && truthy(props.skipFinalSnapshot)) report("skipFinalSnapshot is true; take a final snapshot in prod"); // replicas cannot take one
      if (!args.opts.protect) report("the Pulumi `protect` option is not set");
    }),
    forTypes(["aws:elasticache/replicationGroup:ReplicationGroup"], (props, args, report) => {
      if (tierOfResource(args) !== "prod") return;
      if (!((props.snapshotRetentionLimit ?? 0) >= 1)) report("snapshotRetentionLimit is 0/unset; keep daily snapshots in prod");
      if (!args.opts.protect) report("the Pulumi `protect` option is not set");
    }),
    forTypes(
      ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:efs/fileSystem:FileSystem", "aws:ebs/volume:Volume", "aws:dynamodb/table:Table", K8S.pvc],
      (_p, args, report) => {
        if (tierOfResource(args) !== "prod") return;
        if (!args.opts.protect) report("the Pulumi `protect` option is not set on a stateful resource in prod");
      },
    ),
    forTypes([K8S.statefulSet], (props, args, report) => {
      if (tierOfResource(args) !== "prod" || asArray(props.spec?.volumeClaimTemplates).length === 0) return;
      if (!args.opts.protect) report("StatefulSet with volume claims in prod is not `protect`ed");
      if (props.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete")
        report("persistentVolumeClaimRetentionPolicy.whenDeleted is Delete; keep the volumes (Retain) in prod");
    }),
  ],
});

const AMI_TYPES = ["aws:ec2/ami:Ami", "aws:ec2/amiCopy:AmiCopy", "aws:ec2/amiFromInstance:AmiFromInstance"];

export const imdsv2: StackValidationPolicy = stackPolicy({
  name: "baseline-imdsv2",
  description:
    "EC2 instances, launch templates and launch configurations require IMDSv2 (metadataOptions.httpTokens = required), unless their AMI (defined in the stack) already requires it (imdsSupport v2.0) and they do not set httpTokens optional.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    for (const r of ofTypes(
      args.resources,
      "aws:ec2/instance:Instance",
      "aws:ec2/launchTemplate:LaunchTemplate",
      "aws:ec2/launchConfiguration:LaunchConfiguration",
    )) {
      const mo = r.props.metadataOptions ?? {};
      if (mo.httpEndpoint === "disabled") continue;
      if (mo.httpTokens === "required") continue;
      // An AMI registered with imdsSupport "v2.0" launches instances that require IMDSv2 by default.
      const amis = depsOf(r, r.type === "aws:ec2/instance:Instance" ? "ami" : "imageId", ...AMI_TYPES);
      if (mo.httpTokens === undefined && amis.length > 0 && amis.every((a) => a.props.imdsSupport === "v2.0")) continue;
      report(
        `${r.type.split(":")[2]} '${r.name}': metadataOptions.httpTokens is '${mo.httpTokens ?? "optional (default)"}'; set it to 'required' (IMDSv2)`,
        r.urn,
      );
    }
  },
});

export const eksHardening: ResourceValidationPolicy = resourcePolicy({
  name: "baseline-eks-hardening",
  description: "EKS clusters envelope-encrypt secrets with KMS and keep the API endpoint private (or public only to an explicit CIDR allow-list).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes(["aws:eks/cluster:Cluster"], (props, _a, report) => {
    const enc = asArray<any>(props.encryptionConfig);
    if (!enc.some((e) => asArray<string>(e?.resources).includes("secrets") && isSet(e, "provider", "keyArn")))
      report("encryptionConfig does not encrypt 'secrets' with a KMS key");
    const vpc = props.vpcConfig ?? {};
    if (vpc.endpointPublicAccess !== false) {
      const cidrs = asArray<string>(vpc.publicAccessCidrs);
      if (cidrs.length === 0 || cidrs.some(isWorld))
        report(
          "the API endpoint is public to the whole internet; set vpcConfig.endpointPublicAccess false (with endpointPrivateAccess true) or list publicAccessCidrs",
        );
    }
  }),
});

/**
 * ingress-nginx (kubernetes/ingress-nginx) was retired by its maintainers in March 2026: no more
 * releases, so no security fixes (the 2025 "IngressNightmare" CVEs were in its admission webhook). Found as what
 * installs or runs it: a Helm release/chart of `ingress-nginx` (`repo/ingress-nginx`, the name
 * with its own repository, or a mirror's `ingress-nginx-<version>.tgz`), a container running its controller image
 * (registry.k8s.io/ingress-nginx/controller), an IngressClass whose controller is
 * `k8s.io/ingress-nginx`. F5's NGINX Ingress Controller (chart `nginx-ingress`, image
 * nginx/nginx-ingress) is maintained and not matched. Our own program cannot produce one (the spec
 * refuses `ingressController: nginx`); this judges foreign programs and hand-written stacks.
 */
const INGRESS_NGINX_RETIRED = "ingress-nginx was retired by its maintainers in March 2026 and gets no security fixes";
const INGRESS_NGINX_FIX = "move to a maintained controller (this platform runs Traefik: docs/ingress-migration.md)";
const isIngressNginxChart = (chart: unknown): boolean => {
  const last =
    String(chart ?? "")
      .split("/")
      .pop() ?? "";
  return last === "ingress-nginx" || /^ingress-nginx-\d[\w.+-]*\.tgz$/.test(last);
};
const isIngressNginxImage = (image: unknown): boolean => typeof image === "string" && /(^|\/)ingress-nginx\/controller(-chroot)?([:@]|$)/.test(image);

export const ingressNginxRetired: ResourceValidationPolicy = resourcePolicy({
  name: "baseline-ingress-nginx-retired",
  description:
    "No ingress-nginx: retired by its maintainers in March 2026, it gets no security fixes (a Helm release or chart of ingress-nginx, a container running its controller image, an IngressClass of controller k8s.io/ingress-nginx).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: [
    forTypes([K8S.helmRelease, "kubernetes:helm.sh/v4:Chart"], (props, _a, report) => {
      if (isIngressNginxChart(props.chart))
        report(
          `${INGRESS_NGINX_RETIRED}: this Helm ${props.version ? `chart ${String(props.chart)} ${String(props.version)}` : `chart ${String(props.chart)}`} installs it; ${INGRESS_NGINX_FIX}`,
        );
    }),
    forTypes(WORKLOAD_TYPES, (props, args, report) => {
      for (const c of containersOf(podSpecOf(args.type, props))) {
        if (isIngressNginxImage(c?.image)) report(`${INGRESS_NGINX_RETIRED}: container '${c?.name}' runs ${String(c.image)}; ${INGRESS_NGINX_FIX}`);
      }
    }),
    forTypes(["kubernetes:networking.k8s.io/v1:IngressClass"], (props, _a, report) => {
      if (props.spec?.controller === "k8s.io/ingress-nginx")
        report(`${INGRESS_NGINX_RETIRED}: IngressClass '${String(props.metadata?.name ?? "")}' is served by k8s.io/ingress-nginx; ${INGRESS_NGINX_FIX}`);
    }),
  ],
});

export const baselinePolicies = [
  podSecurity,
  resourcesAndProbes,
  pinnedImages,
  encryptionAtRest,
  backupsAndProtection,
  imdsv2,
  eksHardening,
  ingressNginxRetired,
];
