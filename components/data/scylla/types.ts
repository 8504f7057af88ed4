/** The connection contract `Scylla` exports (as one secret Output). */
export interface ScyllaConnection {
  /** Client service (CQL). */
  host: string;
  port: number;
  datacenter: string;
  username: string;
  password: string;
  keyspaces: string[];
  tls: boolean;
}
