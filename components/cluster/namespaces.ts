/**
 * Role namespaces (pure): names and labels, including Pod Security Standards levels.
 *
 * apps and data enforce `restricted` (nothing there may run as root, escalate, keep
 * capabilities or skip seccomp). The ingress controller binds 80/443 with NET_BIND_SERVICE, so
 * ingress enforces `baseline`. monitoring enforces `privileged` because kube-prometheus-stack's
 * node-exporter DaemonSet needs hostNetwork/hostPID/hostPath (components/monitoring); both warn
 * and audit at `restricted` so anything else drifting is visible.
 */
import type { Labels, Role, RoleNamespaces } from "./netpol";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export const ROLES: Role[] = ["ingress", "apps", "data", "monitoring"];

export const DEFAULT_POD_SECURITY: Record<Role, PodSecurityLevel> = {
  ingress: "baseline",
  apps: "restricted",
  data: "restricted",
  monitoring: "privileged",
};

export interface NamespacePlan {
  role: Role;
  name: string;
  labels: Labels;
}

/** `prefix` (optional) keeps several platforms apart on one shared cluster: `<prefix>-apps`. */
export function roleNamespaceNames(prefix?: string): RoleNamespaces {
  const n = (r: Role) => (prefix ? `${prefix}-${r}` : r);
  return { ingress: n("ingress"), apps: n("apps"), data: n("data"), monitoring: n("monitoring") };
}

export function planNamespaces(names: RoleNamespaces, levels: Record<Role, PodSecurityLevel> = DEFAULT_POD_SECURITY): NamespacePlan[] {
  for (const r of ["apps", "data"] as Role[]) {
    if (levels[r] !== "restricted") throw new Error(`namespaces.podSecurity.${r}: the ${r} namespace always enforces 'restricted'; nothing there may need more`);
  }
  return ROLES.map((role) => ({
    role,
    name: names[role],
    labels: {
      "app.kubernetes.io/managed-by": "pulumi",
      "platform.io/role": role,
      "pod-security.kubernetes.io/enforce": levels[role],
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
    },
  }));
}
