/**
 * Subnet layout of the VPC (pure). Three quarters of the VPC are private subnets, one per AZ
 * (nodes, pods with the VPC CNI, data stores); the last quarter holds small public subnets that
 * only the load balancers and NAT gateways use.
 *
 *   10.0.0.0/16 → private 10.0.0.0/18, 10.0.64.0/18, 10.0.128.0/18; public 10.0.192.0/22, 10.0.196.0/22, 10.0.200.0/22
 */

export interface SubnetPlan {
  az: string;
  cidr: string;
}

export interface NetworkPlan {
  private: SubnetPlan[];
  public: SubnetPlan[];
  /** Index into `public` of the NAT gateway each private subnet routes through; -1 = no internet route. */
  natFor: number[];
  natCount: number;
}

const toInt = (ip: string) => ip.split(".").reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m[1]!.split(".").some((o) => Number(o) > 255)) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const prefix = Number(m[2]);
  const base = toInt(m[1]!);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) throw new Error(`${cidr} has host bits set; use ${toIp((base & mask) >>> 0)}/${prefix}`);
  return { base, prefix };
}

export function planNetwork(vpcCidr: string, azs: string[], nat: "single" | "perAz" | "none"): NetworkPlan {
  const { base, prefix } = parseCidr(vpcCidr);
  if (prefix < 16 || prefix > 20) throw new Error(`cidr: the VPC needs a /16 to /20 (got /${prefix}) so each AZ gets a useful private subnet`);
  if (azs.length < 2 || azs.length > 3) throw new Error("azs: give 2 or 3 availability zones");
  if (new Set(azs).size !== azs.length) throw new Error("azs: availability zones must be distinct");
  const privPrefix = prefix + 2;
  const pubPrefix = prefix + 6;
  const quarter = 2 ** (32 - privPrefix);
  const pubSize = 2 ** (32 - pubPrefix);
  const priv = azs.map((az, i) => ({ az, cidr: `${toIp(base + i * quarter)}/${privPrefix}` }));
  const pub = azs.map((az, i) => ({ az, cidr: `${toIp(base + 3 * quarter + i * pubSize)}/${pubPrefix}` }));
  const natCount = nat === "perAz" ? azs.length : nat === "single" ? 1 : 0;
  return { private: priv, public: pub, natFor: azs.map((_, i) => (nat === "perAz" ? i : nat === "single" ? 0 : -1)), natCount };
}
