/**
 * What the mocked "cloud" answers: computed outputs for registered resources and results for
 * provider function calls (invokes). Pure data, no I/O. Two callers:
 *   - the in-process test harness (tools/harness/run.ts), and
 *   - the mock resource-provider plugin run by the real engine (tools/mockcloud/provider.ts).
 *
 * Preview mode mimics the engine's preview of a create: the resource's outputs are its inputs,
 * and every computed output (ids, ARNs, endpoints) stays unknown. Update mode returns plausible
 * computed values so programs that read them (endpoints into kubeconfigs, ARNs into policies)
 * run end to end. Values are obviously fake (account 123456789012).
 */
import * as crypto from "node:crypto";

export const FAKE_ACCOUNT = "123456789012";

function shortHash(s: string): string {
  return crypto.createHash("sha256").update(s).digest("hex").slice(0, 8);
}

/** `base` cut or padded (deterministic hex of `seed`) to exactly `length` characters. */
function fitLength(base: string, seed: string, length: number): string {
  let s = base;
  for (let i = 0; s.length < length; i++) s += crypto.createHash("sha256").update(`${seed}#${i}`).digest("hex");
  return s.slice(0, length);
}

function awsService(type: string): string {
  // "aws:rds/instance:Instance" -> "rds"
  const mod = type.split(":")[1] ?? "";
  return mod.split("/")[0] || "aws";
}

/** Computed outputs per type token, for update mode. Inputs are merged underneath. */
export function computedOutputs(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
  const h = shortHash(`${type}::${name}`);
  const out: Record<string, unknown> = {};
  const pkg = type.split(":")[0];
  if (pkg === "aws") {
    const svc = awsService(type);
    out.arn = `arn:aws:${svc}:${region}:${FAKE_ACCOUNT}:${name}`;
  }
  switch (type) {
    case "kubernetes:core/v1:Service":
      // A LoadBalancer Service as a read (`Service.get`, no inputs) sees the address its load balancer got.
      if (Object.keys(inputs).length === 0) out.status = { loadBalancer: { ingress: [{ hostname: `mock-${h}.elb.${region}.amazonaws.com` }] } };
      break;
    case "aws:ec2/vpc:Vpc":
      out.defaultSecurityGroupId = `sg-${h}`;
      out.mainRouteTableId = `rtb-${h}`;
      break;
    case "aws:eks/cluster:Cluster":
      out.endpoint = `https://${h.toUpperCase()}.gr7.${region}.eks.amazonaws.com`;
      out.certificateAuthority = { data: Buffer.from(`fake-ca-${name}`).toString("base64") };
      out.identities = [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${h.toUpperCase()}` }] }];
      out.vpcConfig = { ...(inputs.vpcConfig ?? {}), clusterSecurityGroupId: `sg-c${h}` };
      out.name = inputs.name ?? name;
      break;
    case "aws:rds/proxy:Proxy":
    case "aws:rds/proxyEndpoint:ProxyEndpoint":
      // Without it the program's connection URL held the host "undefined" after `up`, and a second
      // preview saw the missing output as unknown (found by the conformance run, bridge-relay × staging).
      out.endpoint = `${name}.proxy-${h}.${region}.rds.amazonaws.com`;
      break;
    case "aws:route53/record:Record":
      // AWS answers with the record's full name. Without it the ACM CertificateValidation's
      // validationRecordFqdns was unknown on every preview, so a second run always showed an
      // update (found by the conformance run, music-platform-gitops × prod).
      out.fqdn = String(inputs.name ?? name)
        .replace(/\.$/, "")
        .toLowerCase();
      break;
    case "aws:rds/instance:Instance":
      out.address = `${name}.${h}.${region}.rds.amazonaws.com`;
      out.endpoint = `${out.address}:5432`;
      out.port = inputs.port ?? 5432;
      out.identifier = inputs.identifier ?? name;
      break;
    case "aws:rds/cluster:Cluster":
      // An Aurora cluster's `endpoint` is the writer's DNS name without a port (an instance's is
      // address:port), `readerEndpoint` the cluster-ro name that balances over the Aurora Replicas.
      out.endpoint = `${name}.cluster-${h}.${region}.rds.amazonaws.com`;
      out.readerEndpoint = `${name}.cluster-ro-${h}.${region}.rds.amazonaws.com`;
      out.port = inputs.port ?? 5432;
      out.clusterIdentifier = inputs.clusterIdentifier ?? name;
      break;
    case "aws:rds/clusterInstance:ClusterInstance":
      out.endpoint = `${name}.${h}.${region}.rds.amazonaws.com`;
      out.port = 5432;
      out.identifier = inputs.identifier ?? name;
      break;
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      out.primaryEndpointAddress = `master.${name}.${h}.cache.amazonaws.com`;
      out.readerEndpointAddress = `replica.${name}.${h}.cache.amazonaws.com`;
      out.port = inputs.port ?? 6379;
      break;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      out.bucket = inputs.bucket ?? `${name}-${h}`;
      out.arn = `arn:aws:s3:::${out.bucket}`;
      out.bucketRegionalDomainName = `${out.bucket}.s3.${region}.amazonaws.com`;
      out.bucketDomainName = `${out.bucket}.s3.amazonaws.com`;
      break;
    case "aws:kms/key:Key":
      out.keyId = `${h}-0000-4000-8000-${h}${h.slice(0, 4)}`;
      out.arn = `arn:aws:kms:${region}:${FAKE_ACCOUNT}:key/${out.keyId}`;
      break;
    case "aws:iam/role:Role":
      out.arn = `arn:aws:iam::${FAKE_ACCOUNT}:role/${inputs.name ?? name}`;
      out.name = inputs.name ?? name;
      break;
    case "aws:iam/policy:Policy":
      out.arn = `arn:aws:iam::${FAKE_ACCOUNT}:policy/${inputs.name ?? name}`;
      break;
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      out.arn = `arn:aws:iam::${FAKE_ACCOUNT}:oidc-provider/${String(inputs.url ?? name).replace(/^https:\/\//, "")}`;
      break;
    case "aws:secretsmanager/secret:Secret":
      out.arn = `arn:aws:secretsmanager:${region}:${FAKE_ACCOUNT}:secret:${inputs.name ?? name}-${h.slice(0, 6)}`;
      break;
    case "aws:cloudfront/distribution:Distribution":
      out.domainName = `d${h}.cloudfront.net`;
      out.hostedZoneId = "Z2FDTNDATAQYW2";
      break;
    case "aws:acm/certificate:Certificate":
      out.arn = `arn:aws:acm:us-east-1:${FAKE_ACCOUNT}:certificate/${h}`;
      out.domainValidationOptions = [
        {
          domainName: inputs.domainName,
          resourceRecordName: `_${h}.${inputs.domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: `_${h}.acm-validations.aws.`,
        },
      ];
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
      out.dnsName = `${name}-${h}.${region}.elb.amazonaws.com`;
      out.zoneId = "Z35SXDOTRQ7X7K";
      break;
    case "aws:ec2/instance:Instance":
      out.publicIp = "203.0.113.10";
      out.privateIp = "10.0.1.10";
      break;
    case "aws:ec2/eip:Eip":
      out.publicIp = "203.0.113.20";
      out.allocationId = `eipalloc-${h}`;
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      // Read by EKS node groups (`launchTemplate.version`); found missing by a prod run under the real engine.
      out.latestVersion = 1;
      out.defaultVersion = 1;
      break;
    case "command:local:Command":
    case "command:remote:Command":
      // A command that printed nothing (the host component exports `stdout`).
      out.stdout = "";
      out.stderr = "";
      break;
    case "aws:lightsail/staticIp:StaticIp":
      out.ipAddress = "203.0.113.30";
      break;
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      // Exactly `length` characters, like the real provider (a longer length is padded with hex).
      out.result = fitLength(`mock-${name}-${h}-Aa1!`, `${type}::${name}`, Number(inputs.length ?? 32));
      break;
    case "pulumi-nodejs:dynamic/platform:GeneratedSecret":
      if (inputs.kind === "bytes") {
        const b = crypto
          .createHash("sha256")
          .update(`${type}::${name}`)
          .digest()
          .subarray(0, Number(inputs.length ?? 32));
        out.hex = b.toString("hex");
        out.base64 = b.toString("base64");
      } else out.result = `mock-${name}-${h}-Aa1`.slice(0, Number(inputs.length ?? 32));
      break;
    case "random:index/randomBytes:RandomBytes": {
      const bytes = crypto
        .createHash("sha256")
        .update(`${type}::${name}`)
        .digest()
        .subarray(0, Number(inputs.length ?? 32));
      out.hex = bytes.toString("hex");
      out.base64 = bytes.toString("base64");
      break;
    }
    case "random:index/randomId:RandomId":
      out.hex = h;
      out.b64Url = Buffer.from(h).toString("base64url");
      break;
    case "cloudflare:index/r2Bucket:R2Bucket":
      out.name = inputs.name ?? name;
      break;
  }
  // Auto-naming: the engine gives an AWS resource with an unset `name` a `<logical>-<random>` name.
  if (pkg === "aws" && inputs.name === undefined && out.name === undefined) out.name = `${name}-${h.slice(0, 7)}`;
  if (pkg === "kubernetes" && inputs.metadata && typeof inputs.metadata === "object") {
    const md = inputs.metadata as Record<string, unknown>;
    out.metadata = { ...md, name: md.name ?? `${name}-${h.slice(0, 6)}`, uid: `${h}-uid` };
  }
  return out;
}

/** Resource id for update mode. Kubernetes ids are `namespace/name` like the real provider. */
export function mockId(type: string, name: string, inputs: Record<string, any>): string {
  if (type.startsWith("kubernetes:")) {
    const md = (inputs.metadata ?? {}) as Record<string, unknown>;
    const n = (md.name as string | undefined) ?? name;
    return md.namespace ? `${md.namespace}/${n}` : n;
  }
  return `${name}-id`;
}

/** Results of provider functions. An invoke with no entry fails loudly so a gap is noticed. */
export function invokeResult(token: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: FAKE_ACCOUNT, arn: `arn:aws:iam::${FAKE_ACCOUNT}:user/mock`, userId: "AIDAMOCK", id: FAKE_ACCOUNT };
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region, description: "mock region", endpoint: `ec2.${region}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { names: [`${region}a`, `${region}b`, `${region}c`], zoneIds: ["use1-az1", "use1-az2", "use1-az4"], id: region, state: "available" };
    case "aws:ec2/getAmi:getAmi":
      return { id: "ami-0123456789abcdef0", imageId: "ami-0123456789abcdef0", architecture: "x86_64", name: inputs.nameRegex ?? "mock-ami" };
    case "aws:ssm/getParameter:getParameter":
      return {
        name: inputs.name,
        value: "ami-0123456789abcdef0",
        type: "String",
        id: inputs.name,
        version: 1,
        insecureValue: "ami-0123456789abcdef0",
        arn: `arn:aws:ssm:${region}:${FAKE_ACCOUNT}:parameter${inputs.name}`,
      };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return { json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }), id: "mock-policy-doc" };
    case "aws:lb/getHostedZoneId:getHostedZoneId":
      // ELB's published zone of network load balancers in us-east-1 (other regions: a stand-in).
      return { id: region === "us-east-1" ? "Z26RNL4JYFTOTI" : "ZMOCKNLBZONE0", loadBalancerType: inputs.loadBalancerType ?? "application", region };
    case "aws:secretsmanager/getSecretVersion:getSecretVersion":
      // A fake, recognisable value: the Cloudflare provider's token, the host's deploy key.
      return {
        arn: `arn:aws:secretsmanager:${region}:${FAKE_ACCOUNT}:secret:${inputs.secretId}-mock`,
        id: `${inputs.secretId}|AWSCURRENT`,
        secretId: inputs.secretId,
        secretString: `mock-secret-value-of-${inputs.secretId}`,
        versionId: "mock-version",
        versionStage: "AWSCURRENT",
        versionStages: ["AWSCURRENT"],
        secretBinary: "",
        createdDate: "2026-12-02T00:00:00Z",
      };
    case "aws:eks/getAddonVersion:getAddonVersion":
      return { version: "v1.0.0-eksbuild.1", id: inputs.addonName };
  }
  throw new Error(`no mock result for invoke ${token}: add an answer to tools/mockcloud/answers.ts (invokeResult)`);
}
