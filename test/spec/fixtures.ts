/**
 * A rich, valid spec (stack config + blueprint) that exercises every part of the schema:
 * the base the negative and property tests break in one place at a time.
 */
export function richConfig(): Record<string, unknown> {
  return {
    tier: "prod",
    blueprint: "rich",
    domain: "example.com",
    regions: { primary: "us-east-1", backup: "us-west-2" },
    cluster: { mode: "eks", version: "1.36", publicAccessCidrs: ["198.51.100.0/24"] },
    host: { sshAllowList: ["203.0.113.7/32"], instanceType: "t3.small" },
    cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210", plan: "pro" },
    certificates: { email: "platform@example.com" },
    secrets: { mailgunApiKey: "fake-mailgun-key-for-tests" },
    alertEmail: "oncall@example.com",
    alerting: {
      receivers: [
        { name: "oncallPager", type: "pagerduty" },
        { name: "teamSlack", type: "slack", channel: "#platform-alerts" },
      ],
      routes: { critical: ["oncallPager", "teamSlack"], warning: ["teamSlack"] },
    },
    alertingSecrets: { oncallPager: "fake-pagerduty-routing-key-for-tests", teamSlack: "https://hooks.slack.example/fake-for-tests" },
    delivery: { repository: "acme/platform", connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-4b5a-4697-8877-665544332211" },
    overrides: { services: { api: { image: "ghcr.io/acme/api:2.0.0", replicas: { min: 4, max: 10 } } } },
  };
}

export function richBlueprint(): Record<string, unknown> {
  return {
    name: "rich",
    description: "every feature of the schema at once",
    source: "test",
    hosting: { kubernetes: { ingressController: "traefik" }, singleHost: { proxy: "caddy" } },
    edge: { app: "flutter-wasm", host: "app", provider: "cloudflare", coep: "require-corp", rateLimitPer5Min: 2000 },
    services: [
      {
        name: "api",
        description: "REST API",
        image: "ghcr.io/acme/api:1.0.0",
        workload: "deployment",
        ports: { http: 8080, health: 8081, metrics: 9090 },
        metricsPath: "/metrics",
        probes: { liveness: { path: "/healthz", periodSeconds: 10, failureThreshold: 3 }, readiness: { path: "/readyz" }, startup: { path: "/healthz" } },
        exposure: "public",
        routes: [
          { host: "api", path: "/", group: "api" },
          { host: "api", path: "/auth", group: "auth" },
        ],
        rateLimits: { api: { requestsPerSecond: 50, burst: 100 }, auth: { requestsPerSecond: 5 } },
        cors: { allowedOrigins: ["self", "https://partner.example.org"], allowedMethods: ["GET", "POST"], allowCredentials: true, maxAgeSeconds: 600 },
        autoscaling: { cpuPercent: 70, memoryPercent: 80 },
        strategy: "canary",
        env: { LOG_FORMAT: "json" },
        secrets: [
          { env: "DATABASE_URL", from: "dataStore:postgres/main" },
          { env: "DATABASE_READ_URL", from: "dataStore:postgres/main#readerUrl" },
          { env: "MAILGUN_API_KEY", from: "config:mailgunApiKey" },
          { env: "SIGNING_KEY", from: "generated:signer" },
        ],
        connectsTo: ["postgres/main", "redis/cache", "objectStore/files", "scylla/chain", "ipfs/pins"],
        calls: ["worker"],
        egress: ["peer", "mailgun"],
      },
      {
        name: "worker",
        image: "ghcr.io/acme/worker@sha256:" + "a".repeat(64),
        ports: { http: 8080, metrics: 9090 },
        probes: { liveness: { path: "/healthz" }, readiness: { path: "/healthz" } },
        exposure: "internal",
        autoscaling: { cpuPercent: 60, custom: { metric: "queue_depth", targetAverageValue: 100 } },
        connectsTo: ["redis/cache"],
      },
    ],
    dataStores: {
      postgres: [{ name: "main", version: "16", readReplicas: 2, databases: ["app"], pitr: true, placement: "managed", pooling: true }],
      redis: [{ name: "cache", replicas: 1, persistence: true, placement: "in-cluster" }],
      objectStores: [{ name: "files", engine: "seaweedfs", versioning: true, archiveAfterDays: 30, crossRegionReplication: false, volumeServers: 3 }],
      scylla: [
        {
          name: "chain",
          members: 3,
          keyspaces: [
            { name: "persistent_ks", durability: "persistent" },
            { name: "volatile_ks", durability: "volatile" },
          ],
          rebuiltFrom: "the chain, re-read from the peer network by the API",
        },
      ],
      ipfs: [{ name: "pins", replicas: 1, storageGi: 50 }],
    },
    externalNetworks: {
      peer: { description: "peer network", cidrs: ["198.51.100.0/24"], ports: [3001], protocol: "TCP" },
      mailgun: { cidrs: ["0.0.0.0/0"], ports: [443] },
    },
    monitoring: { metrics: true, logs: true, traces: "tempo", grafanaPublic: false },
    secrets: { external: [{ name: "mailgunApiKey", description: "Mailgun" }], generated: [{ name: "signer", rotationDays: 30 }] },
  };
}
