/** The connection contract every `Redis` implementation exports (as one secret Output). */
export interface RedisConnection {
  /** Primary (read/write) endpoint. */
  host: string;
  /** Replica (read-only) endpoint, or the primary when there are none. */
  readerHost: string;
  port: number;
  /** AUTH token / requirepass. */
  password: string;
  /** Clients must use TLS (`rediss://`). */
  tls: boolean;
  url: string;
}
