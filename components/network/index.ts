/**
 * `Network`: the stack's AWS VPC. Three AZs; public subnets hold only load balancers and NAT
 * gateways (no public IPs on launch); private subnets hold nodes and data stores and leave
 * through NAT (one, or one per AZ); the default security group is emptied; flow logs (rejected
 * traffic by default — the cheap part reviews need) go to CloudWatch; the app-tier security
 * group is what data stores admit.
 *
 *   const net = new Network("prod", { azs: ["us-east-1a", "us-east-1b", "us-east-1c"], nat: "perAz" }, { providers: { aws } });
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NetworkArgs, parseNetworkArgs } from "./args";
import { planNetwork } from "./plan";

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly vpcCidr: string;
  public readonly publicSubnetIds: pulumi.Output<string>[];
  public readonly privateSubnetIds: pulumi.Output<string>[];
  public readonly appSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:network:Network", name, {}, opts);
    const a = parseNetworkArgs(name, args);
    const plan = planNetwork(a.cidr, a.azs, a.nat);
    const o = { parent: this };
    const tags = (n: string, extra: Record<string, string> = {}) => ({ Name: n, "platform:component": "network", ...extra });
    const clusterTag: Record<string, string> = a.clusterName ? { [`kubernetes.io/cluster/${a.clusterName}`]: "shared" } : {};

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: a.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags(`${name}-vpc`) }, o);
    // CIS: the default security group allows nothing.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tags(`${name}-default-deny`) }, o);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags(`${name}-igw`) }, o);

    const publicRt = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags(`${name}-public`) },
      o,
    );
    const publicSubnets = plan.public.map((s, i) => {
      const sn = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: s.cidr,
          availabilityZone: s.az,
          mapPublicIpOnLaunch: false,
          tags: tags(`${name}-public-${s.az}`, { "kubernetes.io/role/elb": "1", "platform:tier": "public", ...clusterTag }),
        },
        o,
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}-rta`, { subnetId: sn.id, routeTableId: publicRt.id }, o);
      return sn;
    });
    const nats = Array.from({ length: plan.natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}-eip`, { domain: "vpc", tags: tags(`${name}-nat-${i}`) }, o);
      return new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: tags(`${name}-nat-${i}`) },
        { parent: this, dependsOn: [igw] },
      );
    });
    const privateRts: aws.ec2.RouteTable[] = [];
    const privateSubnets = plan.private.map((s, i) => {
      const sn = new aws.ec2.Subnet(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: s.cidr,
          availabilityZone: s.az,
          mapPublicIpOnLaunch: false,
          tags: tags(`${name}-private-${s.az}`, { "kubernetes.io/role/internal-elb": "1", "platform:tier": "private", ...clusterTag }),
        },
        o,
      );
      const nat = plan.natFor[i]! >= 0 ? nats[plan.natFor[i]!]! : undefined;
      const rt = new aws.ec2.RouteTable(
        `${name}-private-${i}-rt`,
        { vpcId: vpc.id, routes: nat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] : [], tags: tags(`${name}-private-${s.az}`) },
        o,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}-rta`, { subnetId: sn.id, routeTableId: rt.id }, o);
      privateRts.push(rt);
      return sn;
    });
    // S3 gateway endpoint: free, keeps backup and object traffic off the NAT (and its bill).
    new aws.ec2.VpcEndpoint(
      `${name}-s3-endpoint`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${a.azs[0]!.slice(0, -1)}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRts.map((r) => r.id),
        tags: tags(`${name}-s3`),
      },
      o,
    );

    if (a.flowLogs !== "none") {
      const group = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        {
          name: `/platform/${name}/vpc-flow-logs`,
          retentionInDays: a.flowLogRetentionDays,
          ...(a.kmsKeyArn ? { kmsKeyId: a.kmsKeyArn as pulumi.Input<string> } : {}),
        },
        o,
      );
      const role = new aws.iam.Role(
        `${name}-flow-logs-role`,
        {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
        },
        o,
      );
      new aws.iam.RolePolicy(
        `${name}-flow-logs-policy`,
        {
          role: role.id,
          policy: group.arn.apply((arn) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [arn, `${arn}:*`] }],
            }),
          ),
        },
        o,
      );
      new aws.ec2.FlowLog(
        `${name}-flow-log`,
        {
          vpcId: vpc.id,
          trafficType: a.flowLogs,
          logDestinationType: "cloud-watch-logs",
          logDestination: group.arn,
          iamRoleArn: role.arn,
          maxAggregationInterval: 600,
        },
        o,
      );
    }

    // The app tier (EKS nodes / the droplet): data stores admit this group only. Egress through NAT.
    const appSg = new aws.ec2.SecurityGroup(
      `${name}-app-sg`,
      {
        vpcId: vpc.id,
        description: "Application tier (nodes); data stores admit this group",
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "outbound via NAT; pods are filtered by NetworkPolicies" }],
        tags: tags(`${name}-app`),
      },
      o,
    );

    this.vpcId = vpc.id;
    this.vpcCidr = a.cidr;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.appSecurityGroupId = appSg.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      appSecurityGroupId: this.appSecurityGroupId,
    });
  }
}

export { planNetwork } from "./plan";
export type { NetworkArgs } from "./args";
