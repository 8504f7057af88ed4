/** KubernetesCluster args: insecure or impossible combinations are refused with the field and the fix. */
import { describe, expect, it } from "vitest";
import { parseClusterArgs } from "../../components/cluster/args";
import { planClusterIssuer, planAddons } from "../../components/cluster/addons";
import { planNamespaces, roleNamespaceNames } from "../../components/cluster/namespaces";

const eks = {
  version: "1.36",
  region: "us-east-1",
  vpcId: "vpc-1",
  vpcCidr: "10.0.0.0/16",
  privateSubnetIds: ["subnet-a", "subnet-b"],
  appSecurityGroupId: "sg-1",
  nodeGroups: [{ name: "general", instanceTypes: ["m6i.large"], min: 1, desired: 1, max: 3 }],
};

describe("cluster args", () => {
  it("refuses a world-open API endpoint, missing ACME e-mail, Helm with rendered manifests", () => {
    expect(() =>
      parseClusterArgs("c", {
        mode: "eks",
        ingressController: "traefik",
        certificates: { issuer: "letsencrypt" },
        eks: { ...eks, publicAccessCidrs: ["0.0.0.0/0"] },
      }),
    ).toThrow(/eks\.publicAccessCidrs: the API must never be public to 0\.0\.0\.0\/0[\s\S]*certificates\.email/);
    expect(() =>
      parseClusterArgs("c", {
        mode: "existing",
        ingressController: "traefik",
        certificates: { issuer: "self-signed" },
        existing: { renderDir: "out" },
        addons: true,
      }),
    ).toThrow(/addons: rendered manifests cannot carry Helm releases/);
    expect(() => parseClusterArgs("c", { mode: "existing", ingressController: "traefik", certificates: { issuer: "self-signed" }, existing: {} })).toThrow(
      /kubeconfig.*renderDir/,
    );
    expect(() => parseClusterArgs("c", { mode: "eks", ingressController: "traefik", certificates: { issuer: "self-signed" } })).toThrow(/eks: mode eks needs/);
  });

  it("namespaces: apps and data always enforce restricted", () => {
    const ns = planNamespaces(roleNamespaceNames("shop"));
    expect(ns.map((n) => `${n.name}=${n.labels["pod-security.kubernetes.io/enforce"]}`)).toEqual([
      "shop-ingress=restricted",
      "shop-apps=restricted",
      "shop-data=restricted",
      "shop-monitoring=privileged",
    ]);
    expect(() => planNamespaces(roleNamespaceNames(), { ingress: "baseline", apps: "baseline", data: "restricted", monitoring: "baseline" })).toThrow(
      /apps namespace always enforces 'restricted'/,
    );
  });

  it("namespaces: data-privileged (for ScyllaDB, root + CAP_SYS_NICE) only when asked, enforcing privileged and warning at restricted", () => {
    expect(roleNamespaceNames("shop").dataPrivileged).toBeUndefined();
    const ns = planNamespaces(roleNamespaceNames("shop", { privilegedData: true }));
    const dp = ns.find((n) => n.name === "shop-data-privileged")!;
    expect(dp.role).toBe("data-privileged");
    expect(dp.labels).toMatchObject({
      "platform.io/role": "data-privileged",
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    expect(ns.find((n) => n.name === "shop-data")!.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(
      parseClusterArgs("c", { mode: "existing", ingressController: "traefik", certificates: { issuer: "self-signed" }, existing: { renderDir: "/tmp/x" } })
        .privilegedDataNamespace,
    ).toBe(false);
  });

  it("issuers: Let's Encrypt prod/staging, corporate CA, self-signed", () => {
    expect(planClusterIssuer("letsencrypt-staging", { email: "a@example.com", ingressClass: "traefik" }).manifest.spec.acme.server).toMatch(/acme-staging-v02/);
    expect(planClusterIssuer("corporate-ca", { caSecretName: "corp-ca", ingressClass: "traefik" }).manifest.spec).toEqual({ ca: { secretName: "corp-ca" } });
    expect(planClusterIssuer("self-signed", { ingressClass: "traefik" }).manifest.spec).toEqual({ selfSigned: {} });
    expect(() => planClusterIssuer("corporate-ca", { ingressClass: "traefik" })).toThrow(/corporateCaSecret/);
  });

  it("add-ons: no cluster-autoscaler outside EKS, controller PDB only when replicated", () => {
    const local = planAddons({ controller: "traefik", namespaces: { ingress: "ingress", monitoring: "monitoring" }, replicas: 1, serviceMonitors: false });
    expect(local.map((r) => r.key)).toEqual(["traefik", "cert-manager", "metrics-server"]);
    expect((local[0]!.values as any).podDisruptionBudget).toEqual({ enabled: false });
    const replicated = planAddons({ controller: "traefik", namespaces: { ingress: "ingress", monitoring: "monitoring" }, replicas: 2, serviceMonitors: false });
    expect((replicated[0]!.values as any).podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
  });

  it("the ingress controller is Traefik: nginx is refused naming the field", () => {
    expect(() =>
      parseClusterArgs("c", { mode: "existing", ingressController: "nginx", certificates: { issuer: "self-signed" }, existing: { renderDir: "/tmp/x" } }),
    ).toThrow(/ingressController/);
  });
});
