// Network safety: the control plane must run in a private network namespace whose only
// interface is the loopback, so that anything dialing a cluster IP, a pod IP or a node
// address fails at once instead of leaving the machine.
//
// /sys/class/net is NOT used: sysfs shows the namespace of whoever mounted it, so after
// `unshare -n` it still lists the host's interfaces. /proc/self/net/* and `ip` (netlink)
// show the namespace of the calling process.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";

export interface NetnsReport {
  ok: boolean;
  /** Interfaces other than lo that are up (or merely present, when `ip` is unavailable). */
  others: string[];
  loopbackUp: boolean;
  /** Non-loopback routes (IPv4 and IPv6). */
  routes: string[];
}

export const NETNS_FIX =
  "run it inside a private network namespace with only the loopback up, e.g.\n" +
  "  unshare -n bash -c 'ip link set lo up; <your command>'\n" +
  "(or pass allowHostNetwork: true / --allow-host-network to accept traffic to non-loopback addresses)";

function procInterfaces(): string[] {
  const text = readFileSync("/proc/self/net/dev", "utf8");
  return text
    .split("\n")
    .slice(2)
    .map((l) => l.split(":")[0]?.trim() ?? "")
    .filter(Boolean);
}

function upInterfacesViaIp(): { up: string[]; loUp: boolean } | undefined {
  try {
    const out = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const up: string[] = [];
    let loUp = false;
    for (const line of out.split("\n")) {
      const m = /^\d+:\s+([^:@\s]+)(?:@[^:]*)?:\s+<([^>]*)>/.exec(line);
      if (!m) continue;
      const [, name, flags] = m;
      const isUp = flags!.split(",").includes("UP");
      if (name === "lo") loUp = isUp;
      else if (isUp) up.push(name!);
    }
    return { up, loUp };
  } catch {
    return undefined;
  }
}

function routes(): string[] {
  const found: string[] = [];
  try {
    for (const line of readFileSync("/proc/self/net/route", "utf8").split("\n").slice(1)) {
      const iface = line.split(/\s+/)[0];
      if (iface && iface !== "lo") found.push(`ipv4 via ${iface}`);
    }
  } catch {
    /* no IPv4 */
  }
  try {
    for (const line of readFileSync("/proc/self/net/ipv6_route", "utf8").split("\n")) {
      const parts = line.trim().split(/\s+/);
      const iface = parts[parts.length - 1];
      if (parts.length > 5 && iface && iface !== "lo") found.push(`ipv6 via ${iface}`);
    }
  } catch {
    /* no IPv6 */
  }
  return [...new Set(found)];
}

export function inspectNetns(): NetnsReport {
  const viaIp = upInterfacesViaIp();
  const others = viaIp ? viaIp.up : procInterfaces().filter((n) => n !== "lo");
  const addrs = Object.entries(networkInterfaces())
    .filter(([name, list]) => name !== "lo" && (list ?? []).length > 0)
    .map(([name]) => name);
  const all = [...new Set([...others, ...addrs])];
  const loopbackUp = viaIp ? viaIp.loUp : (networkInterfaces().lo ?? []).some((a) => a.address === "127.0.0.1");
  const r = routes();
  return { ok: all.length === 0 && r.length === 0 && loopbackUp, others: all, loopbackUp, routes: r };
}

/** Throws with the fix unless we are in a loopback-only network namespace (or allowed not to be). */
export function assertPrivateNetns(allowHostNetwork: boolean | undefined, log: (line: string) => void): void {
  const rep = inspectNetns();
  if (rep.ok) {
    log("network: private namespace, only lo is up (dials to cluster, pod and node IPs fail at once)");
    return;
  }
  if (!rep.loopbackUp && rep.others.length === 0) {
    throw new Error("network: the loopback interface is down in this network namespace; run `ip link set lo up` first");
  }
  const why = [
    rep.others.length ? `interfaces up besides lo: ${rep.others.join(", ")}` : "",
    rep.routes.length ? `non-loopback routes: ${rep.routes.join("; ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  if (allowHostNetwork) {
    log(`network: WARNING allowHostNetwork is set and this namespace is not private (${why}); traffic to non-loopback addresses is possible`);
    return;
  }
  throw new Error(`refusing to start the control plane: this process can reach the network (${why}).\n${NETNS_FIX}`);
}
