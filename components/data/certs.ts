/**
 * Server certificates for in-cluster stores: when `tls.issuer` names a cert-manager issuer of an
 * internal CA, the store creates a `Certificate` for its own service DNS names into `<name>-tls`
 * (tls.crt, tls.key, ca.crt) and mounts that Secret.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export interface TlsArgs {
  enabled: boolean;
  certSecretName?: string;
  issuer?: { name: string; kind: "ClusterIssuer" | "Issuer" };
}

/** The effective TLS settings: an issuer implies the Secret `<name>-tls`. Pure. */
export function resolveTls<T extends TlsArgs>(name: string, tls: T): T & { certSecretName?: string } {
  return tls.enabled && tls.issuer && !tls.certSecretName ? { ...tls, certSecretName: `${name}-tls` } : tls;
}

/** `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local` for each service; `*.` forms for headless ones. Pure. */
export function serviceDnsNames(namespace: string, services: string[], headless: string[] = []): string[] {
  const forms = (s: string) => [s, `${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`];
  return [...services.flatMap(forms), ...headless.map((h) => `*.${h}.${namespace}.svc.cluster.local`)];
}

/** Create the Certificate when the store was given an issuer; undefined otherwise. */
export function storeCertificate(
  name: string,
  parent: pulumi.Resource,
  namespace: string,
  tls: TlsArgs,
  dnsNames: string[],
  labels: Record<string, string>,
): k8s.apiextensions.CustomResource | undefined {
  if (!tls.enabled || !tls.issuer || !tls.certSecretName) return undefined;
  return new k8s.apiextensions.CustomResource(
    `${name}-tls`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: `${name}-tls`, namespace, labels },
      spec: {
        secretName: tls.certSecretName,
        issuerRef: { name: tls.issuer.name, kind: tls.issuer.kind, group: "cert-manager.io" },
        commonName: dnsNames[0],
        dnsNames,
        duration: "2160h",
        renewBefore: "360h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "client auth"],
      },
    },
    { parent },
  );
}
