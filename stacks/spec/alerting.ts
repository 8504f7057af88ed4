/**
 * Alerts reach people: the stack's alert receivers (`platform:alerting`) and their secrets
 * (`platform:alertingSecrets.<receiver>`, always set with `pulumi config set --secret`), with the
 * rules the spec enforces. Pure; stacks/spec/platform.ts calls `alertingIssues` from its cross
 * check, so a staging or prod stack without a receiver fails before anything is registered.
 *
 *   platform:alerting:
 *     receivers:
 *       - { name: oncallPager, type: pagerduty }
 *       - { name: teamSlack, type: slack, channel: "#platform-alerts" }
 *     routes: { critical: [oncallPager, teamSlack], warning: [teamSlack] }
 *
 *   pulumi config set --secret --path platform:alertingSecrets.oncallPager <routing key>
 *   pulumi config set --secret --path platform:alertingSecrets.teamSlack <incoming-webhook URL>
 */
import { z } from "zod";
import { SECRET_OF, alerting, receiverName } from "../../components/monitoring/receivers";
import { TIERS, type TierName } from "./tiers";

export { alerting };

export const alertingSecrets = z.record(receiverName, z.string().min(1, "an empty secret: set the receiver's secret value"));

const setSecret = (name: string, what: string) => `\`pulumi config set --secret --path platform:alertingSecrets.${name} <${what}>\``;

/** Cross-field rules of the alerting config; `path` is relative to the stack config. */
export function alertingIssues(config: {
  tier: TierName;
  alerting?: z.infer<typeof alerting> | undefined;
  alertingSecrets: Record<string, string>;
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const receivers = config.alerting?.receivers ?? [];
  if (TIERS[config.tier].alertReceiversRequired && receivers.length === 0) {
    issues.push({
      path: ["config", "alerting", "receivers"],
      message:
        `a ${config.tier} stack needs at least one alert receiver, or its alerts reach nobody: add one under \`platform:alerting.receivers\` ` +
        "(e.g. `- { name: oncallPager, type: pagerduty }`; types: slack, pagerduty, email, webhook) and set its secret with " +
        setSecret("oncallPager", "routing key"),
    });
  }
  receivers.forEach((r, i) => {
    if (TIERS[config.tier].secretsRequired && config.alertingSecrets[r.name] === undefined) {
      issues.push({
        path: ["config", "alerting", "receivers", i, "name"],
        message: `receiver '${r.name}' (${r.type}) has no secret: ${setSecret(r.name, SECRET_OF[r.type].replace(/^the /, ""))}`,
      });
    }
  });
  const names = new Set(receivers.map((r) => r.name));
  for (const k of Object.keys(config.alertingSecrets)) {
    if (!names.has(k))
      issues.push({
        path: ["config", "alertingSecrets", k],
        message: `'${k}' is not a receiver under platform:alerting.receivers (${[...names].join(", ") || "none"}): remove it or fix its spelling`,
      });
  }
  return issues;
}
