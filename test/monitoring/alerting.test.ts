/**
 * Alerts reach people (issue 18): "Alerting Rules … Critical alerts … Warning alerts" (music
 * platform) must reach someone. Receivers (Slack, PagerDuty, e-mail, webhook) come from stack
 * config, their secrets from `pulumi config set --secret`, routed by severity; a staging or prod
 * stack without a receiver is refused before anything is registered.
 */
import { describe, expect, it } from "vitest";
import { alertmanagerRouting, RECEIVER_SECRET } from "../../components/monitoring/receivers";
import { SpecError } from "../../stacks/spec/errors";
import { loadSpec } from "../../stacks/spec/load";
import { isUnder } from "../../components/secrets/scan";
import { planned } from "../harness/planned";
import { placeholderFor, readStackFile } from "../../tools/harness/stacks";
import { richBlueprint, richConfig } from "../spec/fixtures";

function problems(config: Record<string, unknown>): string[] {
  try {
    loadSpec({ stack: String(config["tier"]), config, blueprint: richBlueprint() });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe("alerts reach people: receivers from stack config, routed by severity", () => {
  it("critical alerts page PagerDuty and Slack, warnings go to Slack; secrets are read from mounted files, never inlined", () => {
    const r = alertmanagerRouting({
      receivers: [
        { name: "oncallPager", type: "pagerduty" },
        { name: "teamSlack", type: "slack", channel: "#platform-alerts" },
        { name: "opsHook", type: "webhook" },
      ],
      routes: { critical: ["oncallPager", "teamSlack"], warning: ["teamSlack", "opsHook"] },
    });
    const by = (n: string) => r.receivers.find((x) => x["name"] === n) as any;
    expect(by("severity-critical").pagerduty_configs).toEqual([
      { routing_key_file: `/etc/alertmanager/secrets/${RECEIVER_SECRET}/oncallPager`, severity: "critical", send_resolved: true },
    ]);
    expect(by("severity-critical").slack_configs[0]).toMatchObject({
      api_url_file: `/etc/alertmanager/secrets/${RECEIVER_SECRET}/teamSlack`,
      channel: "#platform-alerts",
    });
    expect(by("severity-warning").webhook_configs).toEqual([{ url_file: `/etc/alertmanager/secrets/${RECEIVER_SECRET}/opsHook`, send_resolved: true }]);
    expect(by("severity-warning").pagerduty_configs).toBeUndefined();
    const routes = (r.route as any).routes as { receiver: string; matchers: string[] }[];
    expect(routes.find((x) => x.matchers.includes('severity="critical"'))!.receiver).toBe("severity-critical");
    expect(routes.find((x) => x.matchers.includes('severity="warning"'))!.receiver).toBe("severity-warning");
    expect(routes.find((x) => x.matchers.includes('alertname="Watchdog"'))!.receiver).toBe("null");
    // An alert without a severity still reaches someone.
    expect((r.route as any).receiver).toBe("severity-warning");
  });

  it("without routes, every receiver gets critical and warning alerts; without receivers, everything goes to null", () => {
    const r = alertmanagerRouting({
      receivers: [
        { name: "oncallEmail", type: "email", to: "oncall@example.com", from: "alerts@example.com", smarthost: "smtp.example.com:587", username: "alerts" },
      ],
    });
    expect((r.receivers.find((x) => x["name"] === "severity-warning") as any).email_configs[0]).toMatchObject({
      to: "oncall@example.com",
      auth_password_file: `/etc/alertmanager/secrets/${RECEIVER_SECRET}/oncallEmail`,
      require_tls: true,
    });
    expect(alertmanagerRouting(undefined).receivers).toEqual([{ name: "null" }]);
  });

  it("a staging or prod stack without a receiver is refused, naming the field and the fix", () => {
    for (const tier of ["staging", "prod"]) {
      const { alerting: _a, alertingSecrets: _s, ...rest } = richConfig();
      const p = problems({ ...rest, tier });
      expect(p.join("\n")).toMatch(
        /platform:alerting\.receivers.*needs at least one alert receiver.*pulumi config set --secret --path platform:alertingSecrets\./,
      );
    }
    for (const tier of ["local", "dev"]) {
      const { alerting: _a, alertingSecrets: _s, ...rest } = richConfig();
      expect(problems({ ...rest, tier }).filter((p) => /alerting/.test(p))).toEqual([]);
    }
  });

  it("a receiver without its secret, a route to an unknown receiver and a stray secret are refused, each naming the fix", () => {
    const c = richConfig() as any;
    expect(problems({ ...c, alertingSecrets: { teamSlack: "https://hooks.slack.example/fake-for-tests" } }).join("\n")).toMatch(
      /receiver 'oncallPager' \(pagerduty\) has no secret: `pulumi config set --secret --path platform:alertingSecrets\.oncallPager <PagerDuty Events v2 routing key>`/,
    );
    expect(problems({ ...c, alerting: { ...c.alerting, routes: { critical: ["oncallPagr"] } } }).join("\n")).toMatch(
      /no receiver 'oncallPagr': route to one of oncallPager, teamSlack/,
    );
    expect(problems({ ...c, alertingSecrets: { ...c.alertingSecrets, pager: "x" } }).join("\n")).toMatch(
      /'pager' is not a receiver under platform:alerting\.receivers/,
    );
    expect(problems({ ...c, alerting: { receivers: [{ name: "teamSlack", type: "slack", channel: "platform-alerts" }] } }).join("\n")).toMatch(
      /Slack channel such as `#platform-alerts`/,
    );
  });

  it("the stack files name receivers but hold no receiver secret in plain text", () => {
    for (const stack of ["staging", "prod"]) {
      const input = readStackFile(stack);
      expect(JSON.parse(input.config["platform:alerting"]!).receivers.length, stack).toBeGreaterThan(0);
      const secrets = input.config["platform:alertingSecrets"];
      // Only `secure:` values (turned into placeholders by the harness) may appear there.
      if (secrets)
        for (const [k, v] of Object.entries(JSON.parse(secrets) as Record<string, string>))
          expect(v, `${stack} ${k}`).toBe(placeholderFor(`platform:alertingSecrets.${k}`));
    }
  });

  it("prod: Alertmanager routes critical to PagerDuty + Slack from the stack's receivers; the secrets live in a Secret it mounts", async () => {
    const { inventory: inv } = await planned({ stack: "prod" });
    const kps = inv.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kps");
    if (!kps)
      return expect(
        inv.resources.some((r) => r.type.startsWith("docker:")),
        "prod runs either kps or a droplet",
      ).toBe(true);
    const am = (kps.inputs.values as any).alertmanager;
    expect(am.alertmanagerSpec.secrets).toEqual([RECEIVER_SECRET]);
    const critical = am.config.receivers.find((r: any) => r.name === "severity-critical");
    expect(Object.keys(critical).sort()).toEqual(["name", "pagerduty_configs", "slack_configs"]);
    const secret = inv.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs as any).metadata?.name === RECEIVER_SECRET)!;
    expect(secret, "the receivers' Secret").toBeDefined();
    expect(Object.keys((secret.inputs as any).stringData).sort()).toEqual(["oncallEmail", "oncallPager", "teamSlack"]);
    for (const k of ["oncallEmail", "oncallPager", "teamSlack"]) expect(isUnder(`stringData.${k}`, secret.secretPaths), k).toBe(true);
    expect(JSON.stringify(kps.inputs)).not.toContain("plan-placeholder-platform-alertingSecrets");
    expect(kps.dependencies).toContain(secret.urn);
  }, 600_000);
});
