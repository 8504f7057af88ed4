/**
 * `Postgres`: one connection contract, three implementations chosen by `args.implementation`
 * (`managed` RDS, `operator` CloudNativePG, `statefulset` for local). See ./args.ts.
 *
 * Providers: pass `{ providers: { aws } }` for managed, `{ providers: { kubernetes } }` for
 * in-cluster; children inherit them through `{ parent: this }`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DataNetwork } from "../network";
import { assertNoProblems } from "../network";
import { resolveTls } from "../certs";
import { parseArgs } from "../schema";
import { postgresArgsSchema, type PostgresArgs, type PostgresConfig } from "./args";
import { provisionOperatorPostgres, provisionStatefulsetPostgres } from "./cluster";
import { provisionManagedPostgres } from "./managed";
import { planClusterPostgres, planManagedPostgres } from "./plan";
import type { PostgresConnection } from "./types";

export type { PostgresArgs, PostgresConfig } from "./args";
export type { PostgresConnection } from "./types";

export class Postgres extends pulumi.ComponentResource {
  /** Everything a client needs (host, readerHost, port, database, username, password, sslmode, url) — secret. */
  public readonly connection: pulumi.Output<PostgresConnection>;
  public readonly host: pulumi.Output<string>;
  public readonly readerHost: pulumi.Output<string>;
  public readonly port: number;
  public readonly implementation: PostgresConfig["implementation"];
  /** Network needs as plain data (ports, peers) for the namespace planner / SG wiring. */
  public readonly network: DataNetwork;
  /** Managed only: the DB security group (admits 5432 from the app SGs only). */
  public readonly securityGroupId?: pulumi.Output<string>;
  /** In-cluster only: Secret (data namespace) with `username`/`password`. */
  public readonly credentialsSecretName?: string;
  /** Operator only: Secret with the server CA (`ca.crt`) for sslmode=verify-full. */
  public readonly caSecretName?: string;

  constructor(name: string, args: PostgresArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const parsed = parseArgs("Postgres", name, postgresArgsSchema, args);
    const cfg = { ...parsed, tls: resolveTls(name, parsed.tls) } as PostgresConfig;
    const common = { name, version: cfg.version, replicas: cfg.replicas, pooling: cfg.pooling, backup: cfg.backup, protect: cfg.protect, tls: cfg.tls };
    const plan =
      cfg.implementation === "managed"
        ? planManagedPostgres({
            ...common,
            engine: cfg.engine,
            multiAz: cfg.multiAz,
            deletionProtection: cfg.deletionProtection,
            finalSnapshot: cfg.finalSnapshot,
            performanceInsights: cfg.performanceInsights,
            storageGb: cfg.storageGb,
            maxStorageGb: cfg.maxStorageGb,
            subnetCount: cfg.network.subnetIds.length,
            allowedSecurityGroupCount: cfg.network.allowedSecurityGroupIds.length,
            hasSecondaryRegionProvider: cfg.secondaryRegionProvider !== undefined,
          })
        : planClusterPostgres({
            ...common,
            implementation: cfg.implementation,
            database: cfg.database,
            username: cfg.username,
            network: cfg.network,
            operatorNamespace: cfg.implementation === "operator" ? cfg.operatorNamespace : undefined,
            backupTarget: cfg.implementation === "operator" && cfg.backupTarget ? { endpointUrl: cfg.backupTarget.endpointUrl } : undefined,
            metrics: cfg.implementation === "operator" && cfg.metrics,
          });
    assertNoProblems("Postgres", name, plan.problems);

    super("platform:data:Postgres", name, {}, opts);
    this.implementation = cfg.implementation;
    this.port = plan.port;
    this.network = plan.network;

    if (cfg.implementation === "managed") {
      const r = provisionManagedPostgres(name, this, cfg, plan as ReturnType<typeof planManagedPostgres>);
      this.connection = r.connection;
      this.host = r.host;
      this.readerHost = r.readerHost;
      this.securityGroupId = r.securityGroupId;
    } else {
      const cplan = plan as ReturnType<typeof planClusterPostgres>;
      const r = cfg.implementation === "operator" ? provisionOperatorPostgres(name, this, cfg, cplan) : provisionStatefulsetPostgres(name, this, cfg, cplan);
      this.connection = r.connection;
      this.host = pulumi.output(cplan.host);
      this.readerHost = pulumi.output(cplan.readerHost);
      this.credentialsSecretName = r.credentialsSecretName;
      this.caSecretName = r.caSecretName;
    }

    this.registerOutputs({
      connection: this.connection,
      host: this.host,
      readerHost: this.readerHost,
      port: this.port,
      implementation: this.implementation,
      network: this.network,
      securityGroupId: this.securityGroupId,
      credentialsSecretName: this.credentialsSecretName,
      caSecretName: this.caSecretName,
    });
  }
}
