/**
 * InternalCertificates: a private CA inside the cluster (cert-manager) and one serving
 * certificate per in-cluster data store, so client TLS to data stores is on by default.
 *
 *   selfSigned ClusterIssuer ──signs──▶ CA Certificate (ECDSA P-256, 10 y, in cert-manager's
 *   namespace) ──▶ CA ClusterIssuer ──issues──▶ `<store>-tls` Secrets (tls.crt, tls.key, ca.crt)
 *   in the store's data namespace, valid for every Service name of that namespace (clients connect by
 *   Service DNS name; operators manage their own peer certificates).
 *
 * Public ACME issuers cannot sign `*.svc.cluster.local`; this one never leaves the cluster.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface InternalCertificatesArgs {
  /** Namespace cert-manager runs in (the CA key lives there). */
  certManagerNamespace: string;
  /** The stores: each gets `<name>-tls` in its own namespace (the data namespaces). */
  stores: { name: string; namespace: string }[];
  /** cert-manager must be installed first (add-on release). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Pure: the manifests, for tests and review. */
export function planInternalCertificates(prefix: string, a: Omit<InternalCertificatesArgs, "dependsOn">) {
  const rootIssuer = `${prefix}-selfsigned-root`;
  const caSecret = `${prefix}-internal-ca`;
  const caIssuer = `${prefix}-internal-ca`;
  const labels = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "platform-pki" };
  return {
    caIssuer,
    root: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: rootIssuer, labels }, spec: { selfSigned: {} } },
    ca: {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: caSecret, namespace: a.certManagerNamespace, labels },
      spec: {
        isCA: true,
        commonName: `${prefix} internal CA`,
        secretName: caSecret,
        duration: "87600h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { name: rootIssuer, kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    },
    issuer: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: caIssuer, labels }, spec: { ca: { secretName: caSecret } } },
    certificates: a.stores.map((store) => ({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: `${store.name}-tls`, namespace: store.namespace, labels },
      spec: {
        secretName: `${store.name}-tls`,
        dnsNames: [`*.${store.namespace}.svc`, `*.${store.namespace}.svc.cluster.local`],
        duration: "2160h",
        renewBefore: "360h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "digital signature", "key encipherment"],
        issuerRef: { name: caIssuer, kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    })),
  };
}

export class InternalCertificates extends pulumi.ComponentResource {
  /** Secret name per store (`<store>-tls`). */
  readonly secretNames: Record<string, string>;

  constructor(name: string, args: InternalCertificatesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:pki:InternalCertificates", name, {}, opts);
    const plan = planInternalCertificates(name, args);
    const o = { parent: this, dependsOn: args.dependsOn ?? [] };
    const root = new k8s.apiextensions.CustomResource(`${name}-root-issuer`, plan.root, o);
    const ca = new k8s.apiextensions.CustomResource(`${name}-ca`, plan.ca, { ...o, dependsOn: [root] });
    const issuer = new k8s.apiextensions.CustomResource(`${name}-ca-issuer`, plan.issuer, { ...o, dependsOn: [ca] });
    this.secretNames = {};
    for (const [i, cert] of plan.certificates.entries()) {
      const store = args.stores[i]!.name;
      new k8s.apiextensions.CustomResource(`${name}-${store}-cert`, cert, { ...o, dependsOn: [issuer] });
      this.secretNames[store] = cert.spec.secretName;
    }
    this.registerOutputs({ secretNames: this.secretNames });
  }
}
