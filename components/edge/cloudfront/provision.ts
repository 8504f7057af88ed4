/**
 * CloudFront implementation of EdgeSite: private S3 origin behind Origin Access Control,
 * response headers policy (the table's common headers), viewer-request + viewer-response
 * CloudFront Functions generated from the same table, ACM certificate in us-east-1 on an
 * explicitly passed provider (TLSv1.2_2021 minimum), redirect-to-https, optional WAF.
 *
 * Real 404 for missing assets behind OAC: S3 answers 403 for a missing key unless the caller
 * may s3:ListBucket. The bucket policy grants ListBucket to this distribution only
 * (AWS:SourceArn), so S3 returns 404, which CloudFront passes through (no custom error page —
 * mapping 403/404 to index.html would turn missing assets into 200 HTML; the 404 keeps its
 * status and gets the table's notFound body/headers from an error object). Listing itself is
 * unreachable: every path ending in "/" (the bucket root included) is an SPA route that the
 * viewer-request function rewrites to /index.html, and query strings are neither cached nor
 * forwarded.
 *
 * With a dynamic origin (`args.origin`): the DEFAULT behaviour goes to an HTTPS-only custom
 * origin (TLS 1.2, never cached: Managed-CachingDisabled, Managed-AllViewerExceptHostHeader, all
 * methods); one ordered behaviour per hashed-asset prefix (e.g. /_next/static/*) goes to the
 * bucket with the table's cache policy and viewer-response function. No SPA-routing function, no
 * default root object and no custom error response (it is distribution-wide and would replace
 * the app's own error pages): a missing hashed asset is S3's own 404. The response headers policy
 * is on every behaviour; the default one has its own (CSP override false) and a viewer-response
 * function that sets the CSP by the table's rule for an app origin (headers.ts `originCsp`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { EdgeSiteArgs } from "../args";
import { CLOUDFRONT_MANAGED, EdgePlan } from "../plan";
import { CLOUDFRONT_FUNCTION_RUNTIME, notFoundObject } from "./function";
import { provisionCloudfrontWaf } from "./waf";

export interface CloudfrontEdgeOutputs {
  bucketName: pulumi.Output<string>;
  distributionId: pulumi.Output<string>;
  distributionDomainName: pulumi.Output<string>;
  certificateArn: pulumi.Output<string>;
}

export function provisionCloudfront(
  parent: pulumi.Resource,
  name: string,
  args: Extract<EdgeSiteArgs, { provider: "cloudfront" }>,
  plan: EdgePlan,
  usEast1: aws.Provider | undefined,
): CloudfrontEdgeOutputs {
  if (!usEast1)
    throw new Error(
      `EdgeSite ${name}: provider cloudfront needs opts.usEast1 (an aws.Provider in us-east-1) for the ACM certificate and the CLOUDFRONT-scope WAF`,
    );
  const cfPlan = plan.cloudfront!;
  const opts = { parent };
  const east = { parent, provider: usEast1 };
  const prefix = plan.resourcePrefix;

  // ---- private, encrypted, TLS-only origin bucket (S3 names are global: prefix + random suffix)
  const bucket = new aws.s3.Bucket(
    `${name}-origin`,
    { bucketPrefix: plan.bucketPrefix, forceDestroy: !args.protect, tags: args.tags },
    { ...opts, protect: args.protect },
  );
  const pab = new aws.s3.BucketPublicAccessBlock(
    `${name}-origin-pab`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-origin-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-origin-sse`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
    opts,
  );
  new aws.s3.BucketVersioning(`${name}-origin-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);

  // ---- certificate (us-east-1, explicit provider) unless an existing one is given
  let certificateArn: pulumi.Output<string>;
  const cfArgs = args.cloudfront;
  if (cfArgs.certificateArn) {
    certificateArn = pulumi.output(cfArgs.certificateArn);
  } else {
    const cert = new aws.acm.Certificate(
      `${name}-cert`,
      { domainName: args.domain, validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags: args.tags },
      east,
    );
    const validation = new aws.route53.Record(
      `${name}-cert-validation`,
      {
        zoneId: cfArgs.hostedZoneId!,
        name: cert.domainValidationOptions[0]!.resourceRecordName,
        type: cert.domainValidationOptions[0]!.resourceRecordType,
        records: [cert.domainValidationOptions[0]!.resourceRecordValue],
        ttl: 300,
        allowOverwrite: true,
      },
      opts,
    );
    certificateArn = new aws.acm.CertificateValidation(`${name}-cert-ready`, { certificateArn: cert.arn, validationRecordFqdns: [validation.fqdn] }, east)
      .certificateArn;
  }

  // ---- edge logic generated from the rule table
  const oac = new aws.cloudfront.OriginAccessControl(
    `${name}-oac`,
    { name: prefix, description: `EdgeSite ${name} origin`, originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
    opts,
  );
  const viewerRequest = cfPlan.viewerRequestCode
    ? new aws.cloudfront.Function(
        `${name}-viewer-request`,
        {
          name: `${prefix}-req`,
          runtime: CLOUDFRONT_FUNCTION_RUNTIME,
          code: cfPlan.viewerRequestCode,
          publish: true,
          comment: "SPA routing from the edge rule table",
        },
        opts,
      )
    : undefined;
  const viewerResponse = new aws.cloudfront.Function(
    `${name}-viewer-response`,
    {
      name: `${prefix}-res`,
      runtime: CLOUDFRONT_FUNCTION_RUNTIME,
      code: cfPlan.viewerResponseCode,
      publish: true,
      comment: "Per-class Cache-Control/Content-Type from the edge rule table",
    },
    opts,
  );
  const rh = cfPlan.responseHeaders;
  const headersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
    `${name}-headers`,
    {
      name: prefix,
      comment: "Common headers of the edge rule table (every response, errors included)",
      securityHeadersConfig: {
        strictTransportSecurity: { ...rh.hsts, override: true },
        contentTypeOptions: { override: true },
        contentSecurityPolicy: { contentSecurityPolicy: rh.contentSecurityPolicy, override: true },
        referrerPolicy: { referrerPolicy: rh.referrerPolicy, override: true },
      },
      customHeadersConfig: { items: Object.entries(rh.customHeaders).map(([header, value]) => ({ header, value, override: true })) },
    },
    opts,
  );
  // The dynamic origin's behaviour: the same common headers, but the CSP is decided by its
  // viewer-response function (the table's, with the app's strict nonce script-src: headers.ts).
  const originRh = cfPlan.originResponseHeaders;
  const originHeadersPolicy = originRh
    ? new aws.cloudfront.ResponseHeadersPolicy(
        `${name}-origin-headers`,
        {
          name: `${prefix}-origin`,
          comment: "Common headers of the edge rule table for the app origin (CSP from the origin-response function)",
          securityHeadersConfig: {
            strictTransportSecurity: { ...originRh.hsts, override: true },
            contentTypeOptions: { override: true },
            contentSecurityPolicy: { contentSecurityPolicy: originRh.contentSecurityPolicy, override: !originRh.keepOriginCsp },
            referrerPolicy: { referrerPolicy: originRh.referrerPolicy, override: true },
          },
          customHeadersConfig: { items: Object.entries(originRh.customHeaders).map(([header, value]) => ({ header, value, override: true })) },
        },
        opts,
      )
    : undefined;
  const originResponse = cfPlan.originViewerResponseCode
    ? new aws.cloudfront.Function(
        `${name}-origin-response`,
        {
          name: `${prefix}-app`,
          runtime: CLOUDFRONT_FUNCTION_RUNTIME,
          code: cfPlan.originViewerResponseCode,
          publish: true,
          comment: "CSP of the app origin's responses from the edge rule table",
        },
        opts,
      )
    : undefined;
  const cachePolicy = new aws.cloudfront.CachePolicy(
    `${name}-cache`,
    {
      name: prefix,
      comment: "Honour the per-object Cache-Control set from the rule table; nothing without it is cached",
      minTtl: 0,
      defaultTtl: 0,
      maxTtl: 31536000,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: "none" },
        headersConfig: { headerBehavior: "none" },
        queryStringsConfig: { queryStringBehavior: "none" },
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      },
    },
    opts,
  );
  const webAclArn = args.waf ? provisionCloudfrontWaf(name, prefix, args.waf, east) : undefined;

  const dynamic = plan.origin;
  const notFound = notFoundObject(plan.table);
  if (!dynamic) {
    new aws.s3.BucketObjectv2(
      `${name}-not-found`,
      { bucket: bucket.id, key: notFound.key, content: notFound.body, contentType: notFound.contentType, cacheControl: notFound.cacheControl },
      opts,
    );
  }

  const originId = "site-bucket";
  const appOriginId = "app-origin";
  const bucketBehavior = {
    targetOriginId: originId,
    viewerProtocolPolicy: "redirect-to-https",
    allowedMethods: ["GET", "HEAD", "OPTIONS"],
    cachedMethods: ["GET", "HEAD"],
    compress: true,
    cachePolicyId: cachePolicy.id,
    responseHeadersPolicyId: headersPolicy.id,
    functionAssociations: [
      ...(viewerRequest ? [{ eventType: "viewer-request", functionArn: viewerRequest.arn }] : []),
      { eventType: "viewer-response", functionArn: viewerResponse.arn },
    ],
  };
  const distribution = new aws.cloudfront.Distribution(
    `${name}-cdn`,
    {
      enabled: true,
      comment: `EdgeSite ${name}`,
      aliases: [args.domain],
      // With a dynamic origin "/" is the app's page, not an object.
      ...(dynamic ? {} : { defaultRootObject: plan.table.spa.indexKey }),
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      priceClass: cfArgs.priceClass,
      origins: [
        { originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id },
        ...(dynamic
          ? [
              {
                originId: appOriginId,
                domainName: dynamic.domain,
                customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"], httpsPort: 443, httpPort: 80 },
              },
            ]
          : []),
      ],
      defaultCacheBehavior: dynamic
        ? {
            targetOriginId: appOriginId,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
            cachedMethods: ["GET", "HEAD"],
            compress: true,
            cachePolicyId: CLOUDFRONT_MANAGED.cachingDisabled,
            originRequestPolicyId: CLOUDFRONT_MANAGED.allViewerExceptHostHeader,
            responseHeadersPolicyId: (originHeadersPolicy ?? headersPolicy).id,
            ...(originResponse ? { functionAssociations: [{ eventType: "viewer-response", functionArn: originResponse.arn }] } : {}),
          }
        : bucketBehavior,
      ...(dynamic ? { orderedCacheBehaviors: dynamic.bucketPathPatterns.map((pathPattern) => ({ pathPattern, ...bucketBehavior })) } : {}),
      // Static site: a missing asset is S3's real 404 (see header comment); it stays a 404, with
      // the table's notFound body/headers from the error object, cached only briefly.
      ...(dynamic ? {} : { customErrorResponses: [{ errorCode: 404, responseCode: 404, responsePagePath: `/${notFound.key}`, errorCachingMinTtl: 10 }] }),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
      ...(webAclArn ? { webAclId: webAclArn } : {}),
      tags: args.tags,
    },
    opts,
  );

  new aws.s3.BucketPolicy(
    `${name}-origin-policy`,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          {
            Sid: "CloudFrontOACRead",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: pulumi.interpolate`${bucket.arn}/*`,
            Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
          },
          {
            Sid: "CloudFrontOACListForReal404",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:ListBucket",
            Resource: bucket.arn,
            Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
          },
        ],
      }),
    },
    { ...opts, dependsOn: [pab] },
  );

  if (cfArgs.hostedZoneId) {
    for (const type of ["A", "AAAA"] as const) {
      new aws.route53.Record(
        `${name}-alias-${type.toLowerCase()}`,
        {
          zoneId: cfArgs.hostedZoneId,
          name: args.domain,
          type,
          aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
        },
        opts,
      );
    }
  }

  for (const a of plan.assets) {
    new aws.s3.BucketObjectv2(
      `${name}-asset-${a.key}`,
      { bucket: bucket.id, key: a.key, source: new pulumi.asset.FileAsset(a.file), contentType: a.contentType, cacheControl: a.cacheControl },
      opts,
    );
  }

  return { bucketName: bucket.bucket, distributionId: distribution.id, distributionDomainName: distribution.domainName, certificateArn };
}
