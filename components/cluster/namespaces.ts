/**
 * Role namespaces (pure): names and labels, including Pod Security Standards levels.
 *
 * apps, data and ingress enforce `restricted` (nothing there may run as root, escalate, keep
 * capabilities or skip seccomp). ingress enforced `baseline` for ingress-nginx (NET_BIND_SERVICE,
 * privilege escalation, an admission webhook); Traefik, the only controller since #16, meets
 * `restricted` with the chart's defaults (uid 65532, runAsNonRoot, seccomp RuntimeDefault, every
 * capability dropped, no privilege escalation, read-only root, unprivileged ports 8000/8443
 * behind the Service's 80/443): test/traefik/providers.real.test.ts has the embedded API server's
 * Pod Security admission admit the rendered pod in the namespace. monitoring enforces `privileged` because kube-prometheus-stack's
 * node-exporter DaemonSet needs hostNetwork/hostPID/hostPath (components/monitoring); both warn
 * and audit at `restricted` so anything else drifting is visible.
 *
 * `data-privileged` (only when asked for) enforces `privileged` for data stores whose engine
 * cannot run otherwise: ScyllaDB runs as root with CAP_SYS_NICE (scylla-operator v1.15
 * pkg/controller/scylladbdatacenter/resource.go; non-root is scylla-operator#1210, open), which
 * `restricted` and `baseline` both refuse. It holds nothing else.
 */
import type { Labels, Role, RoleNamespaces } from "./netpol";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export const ROLES: Role[] = ["ingress", "apps", "data", "monitoring"];

export const DEFAULT_POD_SECURITY: Record<Role, PodSecurityLevel> = {
  ingress: "restricted",
  apps: "restricted",
  data: "restricted",
  monitoring: "privileged",
};

/** The role label of the optional namespace for stores that must run as root (see RoleNamespaces). */
export const DATA_PRIVILEGED_ROLE = "data-privileged";

export interface NamespacePlan {
  role: Role | typeof DATA_PRIVILEGED_ROLE;
  name: string;
  labels: Labels;
}

/**
 * `prefix` (optional) keeps several platforms apart on one shared cluster: `<prefix>-apps`.
 * `privilegedData` adds `<prefix>-data-privileged`, only for stores that cannot run `restricted`.
 */
export function roleNamespaceNames(prefix?: string, opts: { privilegedData?: boolean } = {}): RoleNamespaces {
  const n = (r: string) => (prefix ? `${prefix}-${r}` : r);
  return {
    ingress: n("ingress"),
    apps: n("apps"),
    data: n("data"),
    monitoring: n("monitoring"),
    ...(opts.privilegedData ? { dataPrivileged: n(DATA_PRIVILEGED_ROLE) } : {}),
  };
}

export function planNamespaces(names: RoleNamespaces, levels: Record<Role, PodSecurityLevel> = DEFAULT_POD_SECURITY): NamespacePlan[] {
  for (const r of ["apps", "data"] as Role[]) {
    if (levels[r] !== "restricted")
      throw new Error(`namespaces.podSecurity.${r}: the ${r} namespace always enforces 'restricted'; nothing there may need more`);
  }
  const entries: { role: NamespacePlan["role"]; name: string; level: PodSecurityLevel }[] = ROLES.map((role) => ({
    role,
    name: names[role],
    level: levels[role],
  }));
  if (names.dataPrivileged) entries.push({ role: DATA_PRIVILEGED_ROLE, name: names.dataPrivileged, level: "privileged" });
  return entries.map(({ role, name, level }) => ({
    role,
    name,
    labels: {
      "app.kubernetes.io/managed-by": "pulumi",
      "platform.io/role": role,
      "pod-security.kubernetes.io/enforce": level,
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
    },
  }));
}
