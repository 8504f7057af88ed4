/**
 * Image admission (pure): Kyverno, from the pinned chart (components/charts.ts CHART_PINS.kyverno),
 * and the ClusterPolicies generated from the stack's allowed registries and, where the view asks
 * for signed images (music-platform-gitops: "Cosign for image signature verification; admission
 * controllers to enforce signed images"), a cosign public key.
 *
 * Why Kyverno: a maintained policy engine in the chart mirror whose policies are plain Kubernetes
 * objects (reviewable in the plan and the GitOps chart); it verifies cosign signatures itself
 * (`verifyImages`), where a validating-only engine would need a second admission webhook for that.
 *
 * Fields are the ClusterPolicy CRD's of the pinned chart (kyverno.io/v1, CHART_PINS.kyverno, Kyverno
 * v1.19.0; charts/crds/templates/kyverno.io/kyverno.io_clusterpolicies.yaml): rules[].match.any[].
 * resources.{kinds,namespaces}, rules[].validate.{failureAction,message,pattern} (failureAction on the
 * rule: spec.validationFailureAction is deprecated), rules[].verifyImages[].{imageReferences,
 * failureAction,type,mutateDigest,verifyDigest,required,attestors[].count,attestors[].entries[].
 * keys.publicKeys}, spec.webhookConfiguration.{failurePolicy,timeoutSeconds} (spec.failurePolicy and
 * spec.webhookTimeoutSeconds are deprecated). Kyverno turns Pod rules into rules for the controllers
 * that make Pods (Deployments, StatefulSets, Jobs, ...: its auto-gen), so a Deployment with a foreign
 * image is refused at apply, not only its Pods.
 *
 * Scope: the namespaces the blueprint's services run in. Add-on and data-store charts pull from
 * their own public registries (docs/design.md, "Registry credentials for add-on charts") and are
 * not governed by these policies; kube-system and Kyverno's own namespace are never sent to Kyverno
 * (the chart's defaults).
 */
import { CHART_PINS } from "../charts";
import type { HelmReleasePlan } from "./addons";

export const KYVERNO_NAMESPACE = "kyverno";

/** An allowed registry: a host, or a host and path prefix (`ghcr.io`, `ghcr.io/acme`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop`). */
export const ALLOWED_REGISTRY = /^(?=.{1,255}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export interface AdmissionInput {
  /** Namespaces whose Pods are governed. */
  namespaces: string[];
  /** Image prefixes admitted: `host` or `host/path` (no trailing slash, no wildcard). */
  allowedRegistries: string[];
  /** Cosign verification of the images under `signedRegistries` (default: every allowed registry). */
  signatures?: { cosignPublicKey: string; signedRegistries?: string[] };
}

export interface AdmissionPlan {
  release: HelmReleasePlan;
  policies: Record<string, any>[];
}

/** `ghcr.io/acme` → `ghcr.io/acme/*`: the entry and everything under it, nothing that merely starts with it. */
export function registryPattern(entry: string): string {
  return `${entry}/*`;
}

/** Whether an image reference comes from an allowed registry entry (same rule as the policy's pattern). */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  return allowed.some((e) => image.startsWith(`${e}/`));
}

function check(i: AdmissionInput): void {
  if (!i.namespaces.length) throw new Error("admission: no namespace to govern");
  if (!i.allowedRegistries.length) throw new Error("admission.allowedRegistries: name at least one registry (host or host/path), or nothing could run");
  for (const r of [...i.allowedRegistries, ...(i.signatures?.signedRegistries ?? [])]) {
    if (!ALLOWED_REGISTRY.test(r))
      throw new Error(
        `admission.allowedRegistries: '${r}' is not a registry host or host/path such as \`ghcr.io/acme\` (no scheme, no tag, no wildcard, no trailing slash)`,
      );
  }
  if (i.signatures) {
    const k = i.signatures.cosignPublicKey.trim();
    if (!/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----$/.test(k)) {
      throw new Error(
        "admission.signatures.cosignPublicKey: must be the PEM public key `cosign generate-key-pair` writes to cosign.pub (-----BEGIN PUBLIC KEY----- …)",
      );
    }
    for (const s of i.signatures.signedRegistries ?? []) {
      if (!i.allowedRegistries.includes(s))
        throw new Error(`admission.signatures.signedRegistries: '${s}' is not among admission.allowedRegistries (${i.allowedRegistries.join(", ")})`);
    }
  }
}

/** The Kyverno release: admission controller HA where the tier runs PDBs, no policy exceptions, metrics for Prometheus. */
export function planKyverno(o: { replicas: number; serviceMonitors: boolean; monitoringNamespace: string }): HelmReleasePlan {
  const ha = o.replicas > 1;
  const sm = { enabled: o.serviceMonitors, namespace: o.monitoringNamespace };
  return {
    key: "kyverno",
    name: "kyverno",
    pin: CHART_PINS.kyverno,
    namespace: KYVERNO_NAMESPACE,
    values: {
      crds: { install: true },
      // Kyverno's docs: 3 admission-controller replicas for HA (the chart adds a PDB when > 1).
      admissionController: { replicas: ha ? 3 : 1, serviceMonitor: sm },
      backgroundController: { replicas: ha ? 2 : 1, serviceMonitor: sm },
      // No cleanup policies are used: the cleanup controller (which may delete anything) stays off.
      cleanupController: { enabled: false },
      reportsController: { replicas: 1, serviceMonitor: sm },
      // Exceptions would let anyone who may create a PolicyException in some namespace bypass these policies.
      features: { policyExceptions: { enabled: false } },
    },
  };
}

/** The ClusterPolicies: `restrict-image-registries` always, `verify-image-signatures` when a key is given. */
export function planImagePolicies(i: AdmissionInput): Record<string, any>[] {
  check(i);
  const namespaces = [...i.namespaces].sort();
  const allowed = [...new Set(i.allowedRegistries)].sort();
  const match = { any: [{ resources: { kinds: ["Pod"], namespaces } }] };
  const image = allowed.map(registryPattern).join(" | ");
  const meta = (name: string, title: string, description: string) => ({
    name,
    labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "platform-admission" },
    annotations: { "policies.kyverno.io/title": title, "policies.kyverno.io/description": description },
  });
  const out: Record<string, any>[] = [
    {
      apiVersion: "kyverno.io/v1",
      kind: "ClusterPolicy",
      metadata: meta("restrict-image-registries", "Allowed image registries", `Pods in ${namespaces.join(", ")} run images from ${allowed.join(", ")} only.`),
      spec: {
        background: true,
        webhookConfiguration: { failurePolicy: "Fail", timeoutSeconds: 10 },
        rules: [
          {
            name: "allowed-registries",
            match,
            validate: {
              failureAction: "Enforce",
              message: `images must come from an allowed registry (${allowed.join(", ")}): set platform:admission.allowedRegistries to add one`,
              pattern: {
                spec: {
                  "=(ephemeralContainers)": [{ image }],
                  "=(initContainers)": [{ image }],
                  containers: [{ image }],
                },
              },
            },
          },
        ],
      },
    },
  ];
  if (i.signatures) {
    const signed = [...new Set(i.signatures.signedRegistries ?? allowed)].sort();
    out.push({
      apiVersion: "kyverno.io/v1",
      kind: "ClusterPolicy",
      metadata: meta("verify-image-signatures", "Signed images", `Images from ${signed.join(", ")} carry a cosign signature by the platform's key.`),
      spec: {
        background: false,
        // Verification fetches signatures from the registry: Kyverno's webhook allows at most 30 s.
        webhookConfiguration: { failurePolicy: "Fail", timeoutSeconds: 30 },
        rules: [
          {
            name: "cosign-signature",
            match,
            verifyImages: [
              {
                imageReferences: signed.map(registryPattern),
                type: "Cosign",
                failureAction: "Enforce",
                required: true,
                // The Pod runs the digest that was verified, not whatever the tag points at later.
                mutateDigest: true,
                verifyDigest: true,
                attestors: [{ count: 1, entries: [{ keys: { publicKeys: i.signatures.cosignPublicKey.trim() } }] }],
              },
            ],
          },
        ],
      },
    });
  }
  return out;
}

/** The admission controller's webhook port (chart value `admissionController.webhookServer.port`). */
export const KYVERNO_WEBHOOK_PORT = 9443;
/** The controllers' metrics port (chart value `<controller>.metering.port`). */
export const KYVERNO_METRICS_PORT = 8000;

/**
 * Kyverno's namespace: default-deny both ways, then only what it needs — the API server calling
 * the admission webhook on 9443 from the API server's CIDRs only (the webhook decides what the
 * cluster admits; nothing else may call it), Prometheus in the monitoring namespace scraping
 * metrics on 8000, DNS, and HTTPS out (the Kubernetes API; registries, for cosign signatures).
 */
export function kyvernoNetworkPolicies(o: { apiServerCidrs: string[]; monitoringNamespace: string }): Record<string, any>[] {
  if (o.apiServerCidrs.length === 0)
    throw new Error("kyvernoNetworkPolicies: apiServerCidrs is empty: give the API server's CIDRs (the VPC CIDR on EKS), or the webhook would admit nobody");
  const namespace = KYVERNO_NAMESPACE;
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "kyverno", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          { from: [...o.apiServerCidrs].sort().map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: KYVERNO_WEBHOOK_PORT }] },
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": o.monitoringNamespace } } }],
            ports: [{ protocol: "TCP", port: KYVERNO_METRICS_PORT }],
          },
        ],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
        ],
      },
    },
  ];
}
