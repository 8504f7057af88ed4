/**
 * Turn a planned manifest into the matching typed Kubernetes resource (CRDs as CustomResource).
 * Shared by the cluster and service components so both register plain plans the same way.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface PlainManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  [k: string]: unknown;
}

export function registerManifest(name: string, m: PlainManifest, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const { apiVersion, kind, ...rest } = m;
  const args = rest as any;
  switch (`${apiVersion}/${kind}`) {
    case "v1/Namespace":
      return new k8s.core.v1.Namespace(name, args, opts);
    case "v1/ServiceAccount":
      return new k8s.core.v1.ServiceAccount(name, args, opts);
    case "v1/Service":
      return new k8s.core.v1.Service(name, args, opts);
    case "v1/ConfigMap":
      return new k8s.core.v1.ConfigMap(name, args, opts);
    case "apps/v1/Deployment":
      return new k8s.apps.v1.Deployment(name, args, opts);
    case "apps/v1/StatefulSet":
      return new k8s.apps.v1.StatefulSet(name, args, opts);
    case "autoscaling/v2/HorizontalPodAutoscaler":
      return new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, args, opts);
    case "policy/v1/PodDisruptionBudget":
      return new k8s.policy.v1.PodDisruptionBudget(name, args, opts);
    case "networking.k8s.io/v1/Ingress":
      return new k8s.networking.v1.Ingress(name, args, opts);
    case "networking.k8s.io/v1/NetworkPolicy":
      return new k8s.networking.v1.NetworkPolicy(name, args, opts);
    case "storage.k8s.io/v1/StorageClass":
      return new k8s.storage.v1.StorageClass(name, args, opts);
    default:
      return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, ...args }, opts);
  }
}
