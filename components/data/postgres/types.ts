/** The connection contract every `Postgres` implementation exports (as one secret Output). */
export interface PostgresConnection {
  /** Read/write endpoint apps should use: the pooler (RDS Proxy / CNPG Pooler) when pooling is on, else the primary. */
  host: string;
  /** The primary itself (direct; for migrations and admin work). */
  primaryHost: string;
  /** Read-only endpoint (a replica, or the primary when there are none). */
  readerHost: string;
  port: number;
  database: string;
  username: string;
  password: string;
  /** What clients must use: `verify-full` (RDS with the AWS CA bundle, CNPG with its CA secret), `require`, or `disable` (only when TLS was explicitly turned off). */
  sslmode: "verify-full" | "require" | "disable";
  /** `postgresql://user:password@host:port/db?sslmode=...`. */
  url: string;
}
