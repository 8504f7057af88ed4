/**
 * Pure planning for the beta host VM: firewall rules, the AMI to look up, names. No Pulumi import.
 */

export interface SgRule {
  description: string;
  protocol: "tcp" | "udp";
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
}

export interface FirewallPlan {
  ingress: SgRule[];
  egress: SgRule[];
}

const OPEN = new Set(["0.0.0.0/0", "::/0"]);
const isV6 = (c: string) => c.includes(":");

/**
 * Ingress: 80/443 from anywhere (the public web); 22 from the deploy runner's security group (added
 * by vm.ts, not a CIDR) and, only if listed, an operator allow-list (never open).
 * Egress: 80/443 anywhere (packages, image pulls, ACME, S3, HTTPS SaaS) plus each declared
 * external network's CIDRs and ports. DNS and NTP use the VPC resolver and the Amazon Time Sync
 * link-local addresses, which security groups do not filter.
 */
export function planFirewall(input: {
  sshAllowList: string[];
  egress?: { cidrs: string[]; ports: number[]; protocol: "TCP" | "UDP"; name: string }[];
}): FirewallPlan {
  const bad = input.sshAllowList.filter((c) => OPEN.has(c));
  if (bad.length) throw new Error(`host firewall: SSH must never be open to ${bad.join(", ")}; list specific CIDRs`);
  const split = (cidrs: string[]) => {
    const v4 = cidrs.filter((c) => !isV6(c));
    const v6 = cidrs.filter(isV6);
    return { ...(v4.length ? { cidrBlocks: v4 } : {}), ...(v6.length ? { ipv6CidrBlocks: v6 } : {}) };
  };
  const anywhere = { cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] };
  const ingress: SgRule[] = [
    { description: "HTTP (ACME challenge and redirect to HTTPS)", protocol: "tcp", fromPort: 80, toPort: 80, ...anywhere },
    { description: "HTTPS", protocol: "tcp", fromPort: 443, toPort: 443, ...anywhere },
  ];
  // The deploy runner's SSH is admitted by security group (vm.ts); CIDRs only for an operator's bastion.
  if (input.sshAllowList.length > 0) {
    ingress.push({ description: "SSH from the operator allow-list", protocol: "tcp", fromPort: 22, toPort: 22, ...split(input.sshAllowList) });
  }
  const egress: SgRule[] = [
    { description: "HTTP out (Debian mirrors)", protocol: "tcp", fromPort: 80, toPort: 80, ...anywhere },
    { description: "HTTPS out (image pulls, ACME, S3, HTTPS SaaS)", protocol: "tcp", fromPort: 443, toPort: 443, ...anywhere },
  ];
  for (const net of input.egress ?? []) {
    for (const port of net.ports) {
      if ((port === 80 || port === 443) && net.protocol === "TCP" && net.cidrs.every((c) => OPEN.has(c))) continue; // already covered
      egress.push({
        description: `egress to ${net.name}`,
        protocol: net.protocol === "TCP" ? "tcp" : "udp",
        fromPort: port,
        toPort: port,
        ...split(net.cidrs),
      });
    }
  }
  return { ingress, egress };
}

/** Debian 12 (bookworm) official AMIs: owner 136693071363 (Debian cloud team). Arm (Graviton) for `*g*.` families. */
export function amiQuery(instanceType: string): { owner: string; namePattern: string; architecture: "x86_64" | "arm64" } {
  const family = instanceType.split(".")[0] ?? "";
  const arm = /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family);
  return {
    owner: "136693071363",
    namePattern: arm ? "debian-12-arm64-*" : "debian-12-amd64-*",
    architecture: arm ? "arm64" : "x86_64",
  };
}
