/** The connection contract `Scylla` exports (as one secret Output). */
export interface ScyllaConnection {
  /** Client service (CQL). */
  host: string;
  port: number;
  /** CQL contact point `host:port` (no credentials). */
  url: string;
  datacenter: string;
  username: string;
  password: string;
  keyspaces: string[];
  tls: boolean;
}
