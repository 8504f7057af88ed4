/**
 * EKS resources of `KubernetesCluster` (mode `eks`): KMS envelope encryption of Secrets, private
 * (or CIDR-allow-listed) API endpoint reached from the deploy runner's security group, control-plane logs, managed node groups per workload class
 * (IMDSv2 with hop limit 1 so pods cannot borrow the node role, encrypted gp3 root volumes, the
 * app security group attached), IRSA OIDC provider, EBS CSI add-on with its IRSA role, the
 * Cluster Autoscaler's IRSA role, a read-only access entry per CI read role (the preview/drift
 * role), and a kubeconfig kept secret.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ParsedClusterArgs } from "./args";
import { EBS_CSI_ADDON_VERSION, VPC_CNI_ADDON_VERSION } from "./addons";

type Eks = NonNullable<ParsedClusterArgs["eks"]>;

export interface EksOutputs {
  clusterName: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  oidcProviderArn: pulumi.Output<string>;
  oidcIssuer: pulumi.Output<string>;
  autoscalerRoleArn: pulumi.Output<string>;
  /** Resources the in-cluster objects must wait for (node groups, EBS CSI). */
  ready: pulumi.Resource[];
}

/**
 * The EKS access policy given to read-only roles (`eks.readOnlyRoleArns`): view every object,
 * Secrets included. `AmazonEKSViewPolicy` is not enough: the Kubernetes provider's preview and
 * refresh of a `helm.v3.Release` read the release's state, which Helm stores in Secrets.
 */
export const READ_ONLY_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy";

const assume = (service: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

function irsaRole(
  name: string,
  oidc: aws.iam.OpenIdConnectProvider,
  issuer: pulumi.Output<string>,
  namespace: string,
  sa: string,
  parent: pulumi.Resource,
): aws.iam.Role {
  return new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi.all([oidc.arn, issuer]).apply(([arn, iss]) => {
        const host = iss.replace(/^https:\/\//, "");
        return JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: arn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${namespace}:${sa}`, [`${host}:aud`]: "sts.amazonaws.com" } },
            },
          ],
        });
      }),
    },
    { parent },
  );
}

export function provisionEks(name: string, e: Eks, parent: pulumi.Resource): EksOutputs {
  const clusterName = e.clusterName ?? name;
  const opts = { parent };
  const protect = e.protect;
  const keyArn =
    e.kmsKeyArn ??
    new aws.kms.Key(
      `${name}-secrets-key`,
      { description: `EKS ${clusterName} secrets envelope encryption`, enableKeyRotation: true, deletionWindowInDays: 30 },
      { parent, protect },
    ).arn;

  const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assume("eks.amazonaws.com") }, opts);
  const clusterPolicy = new aws.iam.RolePolicyAttachment(
    `${name}-cluster-policy`,
    { role: clusterRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" },
    opts,
  );
  const logs = new aws.cloudwatch.LogGroup(
    `${name}-control-plane-logs`,
    { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: e.logRetentionDays },
    opts,
  );

  const publicEndpoint = e.publicAccessCidrs.length > 0;
  const cluster = new aws.eks.Cluster(
    `${name}-eks`,
    {
      name: clusterName,
      version: e.version,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: e.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs: e.publicAccessCidrs } : {}),
      },
      encryptionConfig: { provider: { keyArn }, resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      tags: { Name: clusterName, "platform:component": "kubernetes-cluster" },
    },
    { parent, protect, dependsOn: [clusterPolicy, logs] },
  );

  // Read-only roles (the CI preview/drift role): an access entry each and the view policy at cluster
  // scope. The deploy role is the cluster creator (bootstrapClusterCreatorAdminPermissions).
  e.readOnlyRoleArns.forEach((principalArn, i) => {
    const entry = new aws.eks.AccessEntry(`${name}-read-only-${i}`, { clusterName: cluster.name, principalArn, type: "STANDARD" }, opts);
    new aws.eks.AccessPolicyAssociation(
      `${name}-read-only-${i}-view`,
      { clusterName: cluster.name, principalArn, policyArn: READ_ONLY_ACCESS_POLICY, accessScope: { type: "cluster" } },
      { parent, dependsOn: [entry] },
    );
  });

  // The private endpoint answers on the cluster security group: admit the deploy runner (and any
  // other listed client group) on 443, and nothing from outside the VPC.
  e.apiClientSecurityGroupIds.forEach((sg, i) => {
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-api-client-${i}`,
      {
        securityGroupId: cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId),
        referencedSecurityGroupId: sg,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "Kubernetes API from the deploy runner (private endpoint)",
      },
      opts,
    );
  });

  const issuer = cluster.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
  // NetworkPolicy enforcement: the managed VPC CNI with its network policy agent switched on.
  const vpcCni = new aws.eks.Addon(
    `${name}-vpc-cni`,
    {
      clusterName: cluster.name,
      addonName: "vpc-cni",
      addonVersion: VPC_CNI_ADDON_VERSION,
      configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    },
    opts,
  );
  const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuer, clientIdLists: ["sts.amazonaws.com"] }, opts);

  const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assume("ec2.amazonaws.com") }, opts);
  const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"].map(
    (p) => new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, opts),
  );

  const groups = e.nodeGroups.map((g) => {
    const lt = new aws.ec2.LaunchTemplate(
      `${name}-${g.name}-lt`,
      {
        description: `EKS ${clusterName} ${g.name} nodes`,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: g.diskGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
        vpcSecurityGroupIds: [cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId), e.appSecurityGroupId],
        tagSpecifications: [{ resourceType: "instance", tags: { Name: `${clusterName}-${g.name}`, "platform:workload-class": g.name } }],
      },
      opts,
    );
    return new aws.eks.NodeGroup(
      `${name}-${g.name}-nodes`,
      {
        clusterName: cluster.name,
        nodeGroupName: `${clusterName}-${g.name}`,
        nodeRoleArn: nodeRole.arn,
        subnetIds: e.privateSubnetIds,
        amiType: "AL2023_x86_64_STANDARD",
        capacityType: "ON_DEMAND",
        instanceTypes: g.instanceTypes,
        scalingConfig: { minSize: g.min, desiredSize: g.desired, maxSize: g.max },
        updateConfig: { maxUnavailable: 1 },
        labels: { "platform.io/workload-class": g.name },
        ...(g.taints.length ? { taints: g.taints } : {}),
        launchTemplate: { id: lt.id, version: pulumi.interpolate`${lt.latestVersion}` },
        tags: { [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned", "k8s.io/cluster-autoscaler/enabled": "true" },
      },
      // The autoscaler owns desiredSize once running.
      { parent, dependsOn: nodePolicies, ignoreChanges: ["scalingConfig.desiredSize"] },
    );
  });

  const ebsRole = irsaRole(`${name}-ebs-csi-role`, oidc, issuer, "kube-system", "ebs-csi-controller-sa", parent);
  new aws.iam.RolePolicyAttachment(
    `${name}-ebs-csi-policy`,
    { role: ebsRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" },
    opts,
  );
  const ebs = new aws.eks.Addon(
    `${name}-ebs-csi`,
    {
      clusterName: cluster.name,
      addonName: "aws-ebs-csi-driver",
      addonVersion: EBS_CSI_ADDON_VERSION,
      serviceAccountRoleArn: ebsRole.arn,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    },
    { parent, dependsOn: groups },
  );

  const caRole = irsaRole(`${name}-autoscaler-role`, oidc, issuer, "kube-system", "cluster-autoscaler", parent);
  new aws.iam.RolePolicy(
    `${name}-autoscaler-policy`,
    {
      role: caRole.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: [
              "autoscaling:DescribeAutoScalingGroups",
              "autoscaling:DescribeAutoScalingInstances",
              "autoscaling:DescribeLaunchConfigurations",
              "autoscaling:DescribeScalingActivities",
              "autoscaling:DescribeTags",
              "ec2:DescribeImages",
              "ec2:DescribeInstanceTypes",
              "ec2:DescribeLaunchTemplateVersions",
              "ec2:GetInstanceTypesFromInstanceRequirements",
              "eks:DescribeNodegroup",
            ],
            Resource: "*",
          },
          {
            Effect: "Allow",
            Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            Resource: "*",
            Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
          },
        ],
      }),
    },
    opts,
  );

  const kubeconfig = pulumi.secret(
    pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: n, cluster: { server: endpoint, "certificate-authority-data": ca?.data ?? "" } }],
        contexts: [{ name: n, context: { cluster: n, user: n } }],
        "current-context": n,
        users: [
          {
            name: n,
            user: {
              exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "aws",
                args: ["eks", "get-token", "--cluster-name", n, "--region", e.region],
                interactiveMode: "Never",
              },
            },
          },
        ],
      }),
    ),
  );

  return {
    clusterName: cluster.name,
    kubeconfig,
    oidcProviderArn: oidc.arn,
    oidcIssuer: issuer,
    autoscalerRoleArn: caRole.arn,
    ready: [...groups, ebs, vpcCni],
  };
}
