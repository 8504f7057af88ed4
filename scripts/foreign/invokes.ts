/**
 * Answers to provider functions (invokes) for a program this repository has never seen.
 *
 * Every invoke gets an answer: the mocked cloud's own (tools/mockcloud/answers.ts) when it has
 * one, a specific plausible answer for the functions public programs commonly call, or a generic
 * answer built from the inputs. Generic answers are reported ("guessed"), never silent; Helm
 * `template` cannot be rendered offline and is reported as not inspected.
 */
import * as crypto from "node:crypto";
import { parseAllDocuments } from "yaml";
import { FAKE_ACCOUNT, invokeResult } from "../../tools/mockcloud/answers";

export interface InvokeAnswer {
  result: Record<string, unknown>;
  /** How the answer was made: mockcloud, specific, generic (a guess), unrendered (Helm). */
  kind: "mockcloud" | "specific" | "generic" | "unrendered";
}

const short = (s: string): string => crypto.createHash("sha256").update(s).digest("hex").slice(0, 17);

function specific(token: string, inputs: Record<string, any>, region: string): Record<string, unknown> | undefined {
  const fn = token.split(":").pop() ?? token;
  const name = inputs.name ?? inputs.domain ?? fn;
  switch (token) {
    case "aws:route53/getZone:getZone": {
      const zone = String(inputs.name ?? "example.com").replace(/\.$/, "");
      const id = inputs.zoneId ?? `Z${short(zone).toUpperCase()}`;
      return {
        id,
        zoneId: id,
        name: zone,
        privateZone: inputs.privateZone ?? false,
        nameServers: ["ns-1.awsdns-01.org"],
        arn: `arn:aws:route53:::hostedzone/${id}`,
        resourceRecordSetCount: 2,
        comment: "",
        callerReference: "mock",
        tags: {},
      };
    }
    case "aws:ec2/getVpc:getVpc":
      return {
        id: inputs.id ?? "vpc-0mock0default0",
        cidrBlock: inputs.cidrBlock ?? "172.31.0.0/16",
        default: inputs.default ?? true,
        arn: `arn:aws:ec2:${region}:${FAKE_ACCOUNT}:vpc/vpc-0mock0default0`,
        mainRouteTableId: "rtb-0mock",
        ownerId: FAKE_ACCOUNT,
        state: "available",
        tags: inputs.tags ?? {},
      };
    case "aws:ec2/getSubnetIds:getSubnetIds":
    case "aws:ec2/getSubnets:getSubnets":
      return { id: region, ids: ["subnet-0mock0a", "subnet-0mock0b", "subnet-0mock0c"], vpcId: inputs.vpcId, filters: inputs.filters, tags: inputs.tags };
    case "aws:ec2/getSubnet:getSubnet":
      return {
        id: inputs.id ?? "subnet-0mock0a",
        vpcId: inputs.vpcId ?? "vpc-0mock0default0",
        cidrBlock: "172.31.0.0/20",
        availabilityZone: `${region}a`,
        mapPublicIpOnLaunch: true,
        arn: `arn:aws:ec2:${region}:${FAKE_ACCOUNT}:subnet/subnet-0mock0a`,
      };
    case "aws:ec2/getSecurityGroup:getSecurityGroup":
      return {
        id: inputs.id ?? "sg-0mock",
        name: inputs.name ?? "default",
        vpcId: inputs.vpcId ?? "vpc-0mock0default0",
        arn: `arn:aws:ec2:${region}:${FAKE_ACCOUNT}:security-group/sg-0mock`,
        description: "mock",
      };
    case "aws:organizations/getOrganization:getOrganization":
      return {
        id: "o-mock0000",
        arn: `arn:aws:organizations::${FAKE_ACCOUNT}:organization/o-mock0000`,
        masterAccountId: FAKE_ACCOUNT,
        masterAccountEmail: "root@example.com",
        featureSet: "ALL",
        accounts: [
          {
            id: FAKE_ACCOUNT,
            name: "mock",
            email: "root@example.com",
            arn: `arn:aws:organizations::${FAKE_ACCOUNT}:account/o-mock0000/${FAKE_ACCOUNT}`,
            status: "ACTIVE",
          },
        ],
        nonMasterAccounts: [],
        roots: [{ id: "r-mock", name: "Root", arn: `arn:aws:organizations::${FAKE_ACCOUNT}:root/o-mock0000/r-mock`, policyTypes: [] }],
        awsServiceAccessPrincipals: [],
        enabledPolicyTypes: [],
      };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        id: region,
        authorizationToken: Buffer.from("AWS:mock-token").toString("base64"),
        userName: "AWS",
        password: "mock-token",
        proxyEndpoint: `https://${FAKE_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`,
        expiresAt: "2099-01-01T00:00:00Z",
      };
    case "aws:ecr/getCredentials:getCredentials":
      return {
        id: inputs.registryId ?? FAKE_ACCOUNT,
        registryId: inputs.registryId ?? FAKE_ACCOUNT,
        authorizationToken: Buffer.from("AWS:mock-token").toString("base64"),
        proxyEndpoint: `https://${FAKE_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`,
        expiresAt: "2099-01-01T00:00:00Z",
      };
    case "aws:acm/getCertificate:getCertificate":
      return {
        id: `arn:aws:acm:${region}:${FAKE_ACCOUNT}:certificate/mock`,
        arn: `arn:aws:acm:${region}:${FAKE_ACCOUNT}:certificate/mock`,
        domain: inputs.domain,
        status: "ISSUED",
      };
    case "aws:ec2/getInstance:getInstance":
    case "aws:ec2/getInstances:getInstances":
      return { id: "i-0mock", ids: ["i-0mock"], privateIps: ["10.0.0.10"], publicIps: [], instanceType: "t3.micro" };
    case "aws:elb/getServiceAccount:getServiceAccount":
      return { id: "127311923021", arn: "arn:aws:iam::127311923021:root" };
    case "aws:iam/getRole:getRole":
    case "aws:iam/getPolicy:getPolicy":
    case "aws:iam/getUser:getUser":
      return {
        id: String(name),
        name,
        arn: inputs.arn ?? `arn:aws:iam::${FAKE_ACCOUNT}:${fn.replace(/^get/, "").toLowerCase()}/${name}`,
        assumeRolePolicy: "{}",
        policy: "{}",
      };
    case "aws:index/getDefaultTags:getDefaultTags":
      return { id: "default", tags: {} };
    case "aws:cloudfront/getCachePolicy:getCachePolicy":
    case "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy":
    case "aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy":
      return { id: `mock-${short(String(inputs.name ?? inputs.id ?? fn))}`, name: inputs.name, etag: "mock" };
    case "aws:eks/getClusterAuth:getClusterAuth":
      return { id: inputs.name, name: inputs.name, token: "mock-token" };
    case "aws:eks/getCluster:getCluster":
      return {
        id: inputs.name,
        name: inputs.name,
        endpoint: "https://mock.eks.amazonaws.com",
        certificateAuthorities: [{ data: "bW9jaw==" }],
        certificateAuthority: { data: "bW9jaw==" },
        vpcConfig: { vpcId: "vpc-0mock0default0", subnetIds: [], securityGroupIds: [] },
        version: "1.31",
        roleArn: `arn:aws:iam::${FAKE_ACCOUNT}:role/eks`,
      };
    case "gcp:organizations/getProject:getProject":
    case "gcp:organizations/getClientConfig:getClientConfig":
      return { id: "mock-project", project: "mock-project", projectId: "mock-project", number: "123456789", region, accessToken: "mock-token" };
    case "kubernetes:yaml:decode": {
      const docs = parseAllDocuments(String(inputs.text ?? ""))
        .map((d) => d.toJSON())
        .filter((d) => d && typeof d === "object");
      return { result: docs };
    }
  }
  return undefined;
}

/** A generic answer: the inputs back, with the identifiers such functions usually return. */
function generic(token: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
  const [pkg, mod = "index"] = token.split(":");
  const fn = token.split(":").pop() ?? token;
  const base = String(inputs.name ?? inputs.id ?? fn);
  const id = `mock-${short(`${token}:${JSON.stringify(inputs)}`)}`;
  const out: Record<string, unknown> = { id, name: base, ...inputs };
  if (pkg === "aws") out.arn ??= `arn:aws:${mod.split("/")[0]}:${region}:${FAKE_ACCOUNT}:${base}`;
  return out;
}

export function answerInvoke(token: string, inputs: Record<string, any>, region: string): InvokeAnswer {
  if (token === "kubernetes:helm:template") return { result: { result: [] }, kind: "unrendered" };
  try {
    return { result: invokeResult(token, inputs, region), kind: "mockcloud" };
  } catch {
    /* not one the mocked cloud knows */
  }
  const s = specific(token, inputs, region);
  if (s) return { result: s, kind: "specific" };
  return { result: generic(token, inputs, region), kind: "generic" };
}

/**
 * Before the MockMonitor answers `pulumi:pulumi:getResource`. The SDK rehydrates a resource
 * reference (a resource passed as another's input, whose state the mock echoes back) by invoking
 * getResource with its URN, and the MockMonitor answers with `Struct.fromJavaScript({ urn, id,
 * state })` from what it stored at registration. In preview our newResource gives no id (an unknown
 * one); @pulumi/pulumi up to at least 3.160.0 stores it as `id: result.id`, i.e. undefined, which
 * google-protobuf's Value.fromJavaScript rejects ("Unexpected struct type."), so every program on
 * those versions that passes a resource as an input failed in preview. 3.181.0 and later store
 * `result.id ?? null`; this does the same for older versions. The SDK reads a null id back as an
 * unknown id (`id || undefined`), which is what an id is in preview.
 */
export function fixStoredIdForGetResource(monitor: unknown, urn: unknown): boolean {
  const stored = (monitor as { resources?: Map<unknown, { id?: unknown }> }).resources?.get(urn);
  if (!stored || stored.id !== undefined) return false;
  stored.id = null;
  return true;
}
