/**
 * DNS zone ownership: every public host the stack serves (its public services' routes and the edge
 * site's host) is the zone the stack's DNS config names, or under it, so the records the program
 * manages (stacks/compose/dns.ts, the edge) land in a zone it can write. The config names the zone
 * by id only (`platform:cloudflare.zoneId`, `platform:route53ZoneId`); `platform:dnsZone` says which
 * domain that id is. Stacks on one zone id must name one zone, and never serve the same host (their
 * records would overwrite each other). Pure: specs in, findings out.
 */
import { fqdn, type PlatformSpec } from "../spec/platform";
import type { Finding } from "./deploy-path";

/** Every public host the stack serves, sorted. */
export function publicHosts(spec: PlatformSpec): string[] {
  const hosts = new Set<string>();
  for (const svc of spec.blueprint.services) {
    if (svc.exposure !== "public") continue;
    for (const r of svc.routes) hosts.add(fqdn(r.host, spec.domain));
  }
  if (spec.blueprint.edge) hosts.add(fqdn(spec.blueprint.edge.host, spec.domain));
  return [...hosts].sort();
}

/** The zone id records go to: Route 53 when set (stacks/compose/dns.ts), else Cloudflare. */
export function zoneIdOf(spec: PlatformSpec): { id: string; setting: string } | undefined {
  if (spec.route53ZoneId) return { id: spec.route53ZoneId, setting: "platform:route53ZoneId" };
  if (spec.cloudflare) return { id: spec.cloudflare.zoneId, setting: "platform:cloudflare.zoneId" };
  return undefined;
}

const under = (host: string, zone: string) => host === zone || host.endsWith(`.${zone}`);

export function checkDnsZones(self: { file: string; spec: PlatformSpec }, others: { file: string; spec: PlatformSpec }[]): Finding[] {
  const { spec, file } = self;
  if (!spec.profile.cloudAccount) return [];
  const hosts = publicHosts(spec);
  if (!hosts.length) return [];
  const out: Finding[] = [];
  const at = (k: string) => `${file}: ${k}`;
  const zone = zoneIdOf(spec);
  if (!zone) {
    out.push({
      check: "dns/zone",
      setting: at("platform:route53ZoneId"),
      problem: `the stack serves ${hosts.join(", ")} but names no DNS zone: nothing publishes their records`,
      fix: "set `platform:route53ZoneId` (a Route 53 hosted zone) or `platform:cloudflare.zoneId`, and `platform:dnsZone` to that zone's name",
    });
    return out;
  }
  if (!spec.dnsZone) {
    out.push({
      check: "dns/zone",
      setting: at("platform:dnsZone"),
      problem: `${zone.setting} (${zone.id}) does not say which domain it is, so nothing shows that ${hosts.join(", ")} can be published in it`,
      fix: `\`pulumi config set platform:dnsZone <the zone's name, e.g. ${spec.domain.split(".").slice(-2).join(".")}> -s ${spec.stack}\` (Cloudflare dashboard → the zone; or aws route53 get-hosted-zone --id ${zone.id})`,
    });
    return out;
  }
  for (const h of hosts) {
    if (!under(h, spec.dnsZone)) {
      out.push({
        check: "dns/zone",
        setting: at("platform:domain"),
        problem: `host ${h} is not in zone ${spec.dnsZone} (platform:dnsZone, ${zone.setting} ${zone.id}): the program cannot publish its record, so its certificate never validates and nobody reaches it`,
        fix: `set \`platform:domain\` to ${spec.dnsZone} or a name under it, or point ${zone.setting} and platform:dnsZone at the zone that owns ${h}`,
      });
    }
  }
  for (const o of others) {
    const oz = zoneIdOf(o.spec);
    if (!oz || oz.id !== zone.id || !o.spec.profile.cloudAccount) continue;
    if (o.spec.dnsZone && o.spec.dnsZone !== spec.dnsZone) {
      out.push({
        check: "dns/zone",
        setting: at("platform:dnsZone"),
        problem: `zone ${zone.id} is '${spec.dnsZone}' here but '${o.spec.dnsZone}' in ${o.file}: one id is one zone`,
        fix: "set the zone's real name in both files",
      });
    }
    const shared = publicHosts(o.spec).filter((h) => hosts.includes(h));
    for (const h of shared) {
      out.push({
        check: "dns/host-collision",
        setting: at("platform:domain"),
        problem: `host ${h} is served by this stack and by ${o.file}, both in zone ${zone.id}: each deploy overwrites the other's record`,
        fix: `give each stack its own platform:domain (e.g. ${spec.stack}.${spec.dnsZone})`,
      });
    }
  }
  return out;
}
