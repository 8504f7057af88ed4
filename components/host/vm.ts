/**
 * `BetaHost`: the single VM of the beta / small-team topology ("beta backend and database on a
 * cloud droplet"). Type token `platform:host:BetaHost`. Providers: `{ aws }` (explicit).
 *
 * EC2, not Lightsail — because what this host needs exists on EC2 and not (or only partly) on
 * Lightsail:
 *   - IMDSv2 required with hop limit 1 (containers cannot reach instance credentials);
 *   - an IAM instance profile, so the pg_dump backups reach S3 with no stored access key;
 *   - security groups in the stack's VPC (SSH only from the allow-list; the same app-tier group
 *     that managed data stores admit), instead of Lightsail's per-instance port list outside the VPC;
 *   - an encrypted EBS root volume with an optional customer KMS key;
 *   - the same provider, tags and policy checks as every other AWS resource of the stack.
 * Lightsail would be cheaper for a fixed bundle, but would need VPC peering and access keys.
 *
 * Children: S3 backup bucket (private, encrypted, TLS-only, versioned, lifecycle retention),
 * IAM role + instance profile (put/get/list the backup prefix only — no delete), security group,
 * the instance (Debian 12, cloud-init from cloudinit.ts; its launch-assigned public address, no Elastic IP), and `<name>-ready`: a
 * remote command (over SSH as the deploy user to the PRIVATE address, from the deploy runner inside
 * the VPC; key from ssh-agent, loaded by the deploy job) that waits for cloud-init to finish and
 * Docker to answer. Make the Docker-over-SSH provider depend on `ready`.
 * Providers: `{ aws, command }` (explicit).
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { betaHostArgsSchema, parseArgs, type BetaHostArgs } from "./args";
import { renderCloudInit } from "./cloudinit";
import { amiQuery, planFirewall } from "./vm-plan";

export const BACKUP_PREFIX = "postgres";

/**
 * Wait for cloud-init; fail with a pointer to its log unless it finished cleanly; then ask Docker.
 * The deploy user is created already in the `docker` group (cloudinit.ts), so even this session —
 * opened while cloud-init is still installing Docker — holds the group; the check says so if not.
 */
export const WAIT_FOR_HOST = [
  "cloud-init status --wait >/dev/null 2>&1 || true",
  `s="$(cloud-init status 2>/dev/null | sed -n 's/^status: //p')"`,
  `if [ "$s" != "done" ]; then echo "cloud-init ended with status '$s': see /var/log/cloud-init-output.log on the host" >&2; exit 1; fi`,
  `if ! id -nG | tr ' ' '\\n' | grep -qx docker; then echo "this SSH session is not in the docker group (groups: $(id -nG)): the deploy user must be created in it (components/host/cloudinit.ts)" >&2; exit 1; fi`,
  "docker version --format '{{.Server.Version}}'",
].join("\n");

export class BetaHost extends pulumi.ComponentResource {
  /** The public address assigned at launch (no Elastic IP): DNS target of every proxied host name. */
  public readonly publicIp: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  /** Backup bucket name (absent when the tier keeps no backups). */
  public readonly backupBucket?: pulumi.Output<string>;
  public readonly deployUser: string;
  /** `ssh://deploy@<address>`: the Docker host URL for a docker.Provider. */
  public readonly dockerHost: pulumi.Output<string>;
  /** Completes when cloud-init is done and Docker answers: `dependsOn` it from the docker.Provider. */
  public readonly ready: command.remote.Command;

  constructor(name: string, args: BetaHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const cfg = parseArgs("BetaHost", name, betaHostArgsSchema, args);
    const fw = planFirewall({ sshAllowList: cfg.sshAllowList, egress: cfg.egress });
    const ami = amiQuery(cfg.instanceType);
    // Validate the cloud-init input before any child exists (bucket name filled in later).
    renderCloudInit({ deployUser: cfg.deployUser, sshPublicKey: cfg.sshPublicKey, connectionLimit: cfg.connectionLimit });
    super("platform:host:BetaHost", name, {}, opts);
    const p = { parent: this };
    const keep = { parent: this, protect: cfg.protect };
    this.deployUser = cfg.deployUser;

    let bucket: aws.s3.Bucket | undefined;
    if (cfg.backup) {
      bucket = new aws.s3.Bucket(`${name}-backups`, { bucketPrefix: `${name.slice(0, 30)}-backups-`, forceDestroy: !cfg.protect }, keep);
      new aws.s3.BucketPublicAccessBlock(
        `${name}-backups-pab`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        p,
      );
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-backups-sse`,
        {
          bucket: bucket.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: cfg.kmsKeyArn ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: cfg.kmsKeyArn } : { sseAlgorithm: "AES256" },
              bucketKeyEnabled: true,
            },
          ],
        },
        p,
      );
      new aws.s3.BucketVersioning(`${name}-backups-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, p);
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-backups-retention`,
        {
          bucket: bucket.id,
          rules: [
            {
              id: "expire-pg-dumps",
              status: "Enabled",
              filter: { prefix: `${BACKUP_PREFIX}/` },
              expiration: { days: cfg.backup.retentionDays },
              noncurrentVersionExpiration: { noncurrentDays: 1 },
              abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
          ],
        },
        p,
      );
      new aws.s3.BucketPolicy(
        `${name}-backups-tls-only`,
        {
          bucket: bucket.id,
          policy: bucket.arn.apply((arn) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "DenyInsecureTransport",
                  Effect: "Deny",
                  Principal: "*",
                  Action: "s3:*",
                  Resource: [arn, `${arn}/*`],
                  Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
              ],
            }),
          ),
        },
        p,
      );
    }

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Instance role of the beta host ${name}: writes pg_dump backups`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      p,
    );
    if (bucket) {
      new aws.iam.RolePolicy(
        `${name}-backup-access`,
        {
          role: role.id,
          policy: pulumi.all([bucket.arn, cfg.kmsKeyArn ?? ""]).apply(([arn, key]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                // Put and read dumps; no delete: a compromised host cannot erase its backups (the lifecycle rule expires them).
                { Sid: "Dumps", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${arn}/${BACKUP_PREFIX}/*` },
                { Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: arn, Condition: { StringLike: { "s3:prefix": [`${BACKUP_PREFIX}/*`] } } },
                ...(key ? [{ Sid: "Kms", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: key }] : []),
              ],
            }),
          ),
        },
        p,
      );
    }
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, p);

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: cfg.vpcId,
        description: `Beta host ${name}: 80/443 public, 22 from the deploy runner only`,
        ingress: [
          ...fw.ingress,
          ...(cfg.deployRunnerSecurityGroupId
            ? [
                {
                  description: "SSH from the deploy runner in the VPC (Docker over SSH)",
                  protocol: "tcp",
                  fromPort: 22,
                  toPort: 22,
                  securityGroups: [cfg.deployRunnerSecurityGroupId],
                },
              ]
            : []),
        ],
        egress: fw.egress,
        tags: { Name: `${name}-sg` },
      },
      p,
    );

    const image = aws.ec2.getAmiOutput(
      {
        owners: [ami.owner],
        mostRecent: true,
        filters: [
          { name: "name", values: [ami.namePattern] },
          { name: "architecture", values: [ami.architecture] },
        ],
      },
      p,
    );
    const region = aws.getRegionOutput({}, p).region;
    const userData = pulumi.all([bucket ? bucket.bucket : "", region]).apply(([bucketName, r]) =>
      renderCloudInit({
        deployUser: cfg.deployUser,
        sshPublicKey: cfg.sshPublicKey,
        connectionLimit: cfg.connectionLimit,
        ...(cfg.backup && bucketName ? { backup: { bucket: bucketName, region: r, prefix: BACKUP_PREFIX, onCalendar: cfg.backup.onCalendar } } : {}),
      }),
    );

    const instance = new aws.ec2.Instance(
      `${name}-vm`,
      {
        ami: image.id,
        instanceType: cfg.instanceType,
        subnetId: cfg.subnetId,
        // The host's public address: the one AWS assigns at launch, no Elastic IP. It stays while the
        // instance runs (a reboot keeps it; only a stop/start changes it, and the next `pulumi up
        // --refresh` moves the DNS records with it). An EIP per beta host made dev + staging + prod
        // exceed the default quota of 5 Elastic IPs per region (docs/design.md, "Elastic IPs").
        associatePublicIpAddress: true,
        vpcSecurityGroupIds: [sg.id, ...cfg.extraSecurityGroupIds],
        iamInstanceProfile: profile.name,
        // IMDSv2 only; hop limit 1 keeps the instance credentials away from containers.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        rootBlockDevice: {
          encrypted: true,
          ...(cfg.kmsKeyArn ? { kmsKeyId: cfg.kmsKeyArn } : {}),
          volumeType: "gp3",
          volumeSize: cfg.rootVolumeGb,
          deleteOnTermination: !cfg.protect,
        },
        userData,
        disableApiTermination: cfg.protect,
        monitoring: true,
        tags: { Name: name },
      },
      // A newer Debian AMI must not replace the stateful host; unattended-upgrades keeps it patched.
      { ...keep, ignoreChanges: ["ami"] },
    );
    // The program's SSH client is the deploy runner inside the VPC: it dials the private address
    // (nothing on the internet answers on 22). With only an operator allow-list, the public one.
    const sshAddress = cfg.deployRunnerSecurityGroupId ? instance.privateIp : instance.publicIp;
    this.ready = new command.remote.Command(
      `${name}-ready`,
      {
        // Retries while the VM boots and sshd/the deploy user appear (about 10 minutes). The key comes
        // from ssh-agent (SSH_AUTH_SOCK), loaded by the deploy job from Secrets Manager.
        connection: { host: sshAddress, user: cfg.deployUser, dialErrorLimit: 60, perDialTimeout: 10 },
        create: WAIT_FOR_HOST,
        triggers: [instance.id],
      },
      { parent: this, dependsOn: [instance] },
    );

    this.publicIp = instance.publicIp;
    this.instanceId = instance.id;
    this.securityGroupId = sg.id;
    this.roleArn = role.arn;
    if (bucket) this.backupBucket = bucket.bucket;
    this.dockerHost = pulumi.interpolate`ssh://${cfg.deployUser}@${sshAddress}`;
    this.registerOutputs({
      publicIp: this.publicIp,
      instanceId: this.instanceId,
      securityGroupId: this.securityGroupId,
      roleArn: this.roleArn,
      backupBucket: this.backupBucket,
      dockerHost: this.dockerHost,
      dockerVersion: this.ready.stdout,
    });
  }
}
