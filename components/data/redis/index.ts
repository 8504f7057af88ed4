/**
 * `Redis`: ElastiCache (`managed`) or an in-cluster redis StatefulSet (`statefulset`), one
 * connection contract. Providers: `{ aws, random }` or `{ kubernetes, random }`.
 */
import * as pulumi from "@pulumi/pulumi";
import { assertNoProblems, type DataNetwork } from "../network";
import { resolveTls } from "../certs";
import { parseArgs } from "../schema";
import { redisArgsSchema, type RedisArgs, type RedisConfig } from "./args";
import { planClusterRedis, planManagedRedis } from "./plan";
import { provisionClusterRedis, provisionManagedRedis } from "./provision";
import type { RedisConnection } from "./types";

export type { RedisArgs, RedisConfig } from "./args";
export type { RedisConnection } from "./types";

export class Redis extends pulumi.ComponentResource {
  /** host, readerHost, port, password, tls, url — secret. */
  public readonly connection: pulumi.Output<RedisConnection>;
  public readonly host: pulumi.Output<string>;
  public readonly port: number;
  public readonly implementation: RedisConfig["implementation"];
  public readonly network: DataNetwork;
  public readonly securityGroupId?: pulumi.Output<string>;
  /** In-cluster: Secret (data namespace) with key `password`. */
  public readonly credentialsSecretName?: string;

  constructor(name: string, args: RedisArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const parsed = parseArgs("Redis", name, redisArgsSchema, args);
    const cfg = { ...parsed, tls: resolveTls(name, parsed.tls) } as RedisConfig;
    const plan =
      cfg.implementation === "managed"
        ? planManagedRedis({
            name,
            version: cfg.version,
            replicas: cfg.replicas,
            multiAz: cfg.multiAz,
            finalSnapshot: cfg.finalSnapshot,
            backup: cfg.backup,
            protect: cfg.protect,
            tls: cfg.tls,
            subnetCount: cfg.network.subnetIds.length,
            allowedSecurityGroupCount: cfg.network.allowedSecurityGroupIds.length,
          })
        : planClusterRedis({
            name,
            replicas: cfg.replicas,
            persistence: cfg.persistence,
            protect: cfg.protect,
            tls: cfg.tls,
            network: cfg.network,
            metrics: cfg.metrics,
          });
    assertNoProblems("Redis", name, plan.problems);

    super("platform:data:Redis", name, {}, opts);
    this.implementation = cfg.implementation;
    this.port = plan.port;
    this.network = plan.network;
    if (cfg.implementation === "managed") {
      const r = provisionManagedRedis(name, this, cfg, plan as ReturnType<typeof planManagedRedis>);
      this.connection = r.connection;
      this.host = r.host;
      this.securityGroupId = r.securityGroupId;
    } else {
      const cplan = plan as ReturnType<typeof planClusterRedis>;
      const r = provisionClusterRedis(name, this, cfg, cplan);
      this.connection = r.connection;
      this.host = pulumi.output(cplan.host);
      this.credentialsSecretName = r.credentialsSecretName;
    }
    this.registerOutputs({
      connection: this.connection,
      host: this.host,
      port: this.port,
      implementation: this.implementation,
      network: this.network,
      securityGroupId: this.securityGroupId,
      credentialsSecretName: this.credentialsSecretName,
    });
  }
}
