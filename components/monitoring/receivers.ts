/**
 * Alert receivers: who gets paged for what. Pure; no Pulumi import.
 *
 * A receiver is Slack, PagerDuty, e-mail or a webhook; its secret (the Slack incoming-webhook URL,
 * the PagerDuty Events v2 routing key, the SMTP password, the webhook URL) lives in the Kubernetes
 * Secret RECEIVER_SECRET, one key per receiver, mounted into Alertmanager and read with the
 * `*_file` settings — it never appears in Helm values or the Alertmanager config.
 *
 * Routes go by the alert's `severity` label: `critical` to the receivers in `routes.critical`,
 * `warning` to `routes.warning`; `info`/`none` (the chart's informational rules) and Watchdog go
 * nowhere. Anything else (no severity) goes to the warning receivers, so nothing is dropped silently.
 */
import { z } from "zod";

/** Secret (monitoring namespace) with one key per receiver; mounted at /etc/alertmanager/secrets/<name>/. */
export const RECEIVER_SECRET = "alertmanager-receivers";

/** A receiver name: also its secret's key and its config path (`platform:alertingSecrets.<name>`). */
export const receiverName = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9]{0,62}$/, "must be a camelCase name such as `oncallPager` (letters and digits, starting lower-case)");

export const alertReceiver = z.discriminatedUnion("type", [
  z.strictObject({
    name: receiverName,
    type: z.literal("slack"),
    channel: z
      .string()
      .regex(/^#[a-z0-9][a-z0-9_-]{0,79}$/, "must be a Slack channel such as `#platform-alerts`")
      .meta({ description: "Slack channel the alerts are posted to. The incoming-webhook URL is the receiver's secret." }),
  }),
  z
    .strictObject({ name: receiverName, type: z.literal("pagerduty") })
    .meta({ description: "PagerDuty Events API v2; the integration's routing key is the receiver's secret." }),
  z.strictObject({
    name: receiverName,
    type: z.literal("email"),
    to: z.email().meta({ description: "Recipient address." }),
    from: z.email().meta({ description: "Sender address." }),
    smarthost: z
      .string()
      .regex(/^[a-z0-9.-]+:\d{2,5}$/, "must be host:port, e.g. email-smtp.us-east-1.amazonaws.com:587")
      .meta({ description: "SMTP relay (STARTTLS required)." }),
    username: z.string().min(1).meta({ description: "SMTP user name; the password is the receiver's secret." }),
  }),
  z
    .strictObject({ name: receiverName, type: z.literal("webhook") })
    .meta({ description: "Generic webhook (Alertmanager's JSON payload); the URL is the receiver's secret (it often embeds a token)." }),
]);
export type AlertReceiver = z.infer<typeof alertReceiver>;

export const alertRoutes = z.strictObject({
  critical: z
    .array(receiverName)
    .min(1, "name at least one receiver for critical alerts")
    .meta({ description: "Receivers of `severity=critical` alerts (pages)." }),
  warning: z.array(receiverName).default([]).meta({ description: "Receivers of `severity=warning` alerts (and of alerts without a severity)." }),
});

export const alerting = z
  .strictObject({
    receivers: z.array(alertReceiver).meta({
      description:
        "Alert receivers: Slack, PagerDuty, e-mail or webhook. Each one's secret is set with `pulumi config set --secret --path platform:alertingSecrets.<name> <value>`.",
    }),
    routes: alertRoutes.optional().meta({ description: "Which receivers get which severity. Default: every receiver gets critical and warning alerts." }),
  })
  .superRefine((a, ctx) => {
    const names = a.receivers.map((r) => r.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: "custom", path: ["receivers", i, "name"], message: `receiver '${n}' is named twice: give each receiver its own name` });
    });
    for (const sev of ["critical", "warning"] as const) {
      (a.routes?.[sev] ?? []).forEach((n, i) => {
        if (!names.includes(n))
          ctx.addIssue({
            code: "custom",
            path: ["routes", sev, i],
            message: `no receiver '${n}': route to one of ${names.join(", ") || "(none declared under receivers)"}`,
          });
      });
    }
  });
export type Alerting = z.infer<typeof alerting>;

/** What each receiver's secret is, for messages and docs. */
export const SECRET_OF: Record<AlertReceiver["type"], string> = {
  slack: "the Slack incoming-webhook URL",
  pagerduty: "the PagerDuty Events v2 routing key",
  email: "the SMTP password",
  webhook: "the webhook URL",
};

const file = (name: string) => `/etc/alertmanager/secrets/${RECEIVER_SECRET}/${name}`;

function integration(r: AlertReceiver, severity: "critical" | "warning"): Record<string, unknown[]> {
  switch (r.type) {
    case "slack":
      return { slack_configs: [{ api_url_file: file(r.name), channel: r.channel, send_resolved: true }] };
    case "pagerduty":
      return { pagerduty_configs: [{ routing_key_file: file(r.name), severity, send_resolved: true }] };
    case "email":
      return {
        email_configs: [
          {
            to: r.to,
            from: r.from,
            smarthost: r.smarthost,
            auth_username: r.username,
            auth_password_file: file(r.name),
            require_tls: true,
            send_resolved: true,
          },
        ],
      };
    case "webhook":
      return { webhook_configs: [{ url_file: file(r.name), send_resolved: true }] };
  }
}

function merge(parts: Record<string, unknown[]>[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p)) out[k] = [...(out[k] ?? []), ...v];
  return out;
}

/**
 * The Alertmanager `route` and `receivers` for the given receivers (none: everything to `null`,
 * alerts stay visible in Alertmanager and Grafana only).
 */
export function alertmanagerRouting(a: Alerting | undefined): { route: Record<string, unknown>; receivers: Record<string, unknown>[] } {
  const base = { group_by: ["alertname", "namespace", "service"], group_wait: "30s", group_interval: "5m", repeat_interval: "4h" };
  const quiet = [
    { receiver: "null", matchers: ['alertname="Watchdog"'] },
    { receiver: "null", matchers: ['severity=~"info|none"'] },
  ];
  if (!a || a.receivers.length === 0) return { route: { receiver: "null", ...base, routes: quiet.slice(0, 1) }, receivers: [{ name: "null" }] };
  const all = a.receivers.map((r) => r.name);
  const routes = { critical: a.routes?.critical ?? all, warning: a.routes?.warning ?? (a.routes ? [] : all) };
  const pick = (names: string[]) => a.receivers.filter((r) => names.includes(r.name));
  const receivers: Record<string, unknown>[] = [
    { name: "null" },
    { name: "severity-critical", ...merge(pick(routes.critical).map((r) => integration(r, "critical"))) },
  ];
  const hasWarning = routes.warning.length > 0;
  if (hasWarning) receivers.push({ name: "severity-warning", ...merge(pick(routes.warning).map((r) => integration(r, "warning"))) });
  const fallback = hasWarning ? "severity-warning" : "severity-critical";
  return {
    route: {
      receiver: fallback,
      ...base,
      routes: [
        ...quiet,
        { receiver: "severity-critical", matchers: ['severity="critical"'], group_wait: "10s", repeat_interval: "1h" },
        { receiver: hasWarning ? "severity-warning" : "null", matchers: ['severity="warning"'] },
      ],
    },
    receivers,
  };
}
