/** WAFv2 web ACL (CLOUDFRONT scope, so on the us-east-1 provider) for an EdgeSite distribution. */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { EdgeSiteArgs } from "../args";

type Waf = NonNullable<EdgeSiteArgs["waf"]>;

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

/** Pure: the rule list (data) for the web ACL. */
export function planWafRules(prefix: string, waf: Waf): aws.types.input.wafv2.WebAclRule[] {
  const rules: aws.types.input.wafv2.WebAclRule[] = [];
  if (waf.rateLimit) {
    rules.push({
      name: "rate-limit-per-ip",
      priority: 0,
      action: { block: {} },
      statement: { rateBasedStatement: { aggregateKeyType: "IP", limit: waf.rateLimit.requests, evaluationWindowSec: waf.rateLimit.periodSeconds } },
      visibilityConfig: visibility(`${prefix}-rate-limit`),
    });
  }
  if (waf.managedRules) {
    rules.push(
      {
        name: "aws-common",
        priority: 10,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } },
        visibilityConfig: visibility(`${prefix}-aws-common`),
      },
      {
        name: "aws-known-bad-inputs",
        priority: 20,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" } },
        visibilityConfig: visibility(`${prefix}-aws-bad-inputs`),
      },
    );
  }
  return rules;
}

export function provisionCloudfrontWaf(name: string, prefix: string, waf: Waf, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const acl = new aws.wafv2.WebAcl(
    `${name}-waf`,
    { name: prefix, scope: "CLOUDFRONT", defaultAction: { allow: {} }, rules: planWafRules(prefix, waf), visibilityConfig: visibility(prefix) },
    opts,
  );
  return acl.arn;
}
