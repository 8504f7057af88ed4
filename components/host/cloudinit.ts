/**
 * cloud-init user data of the beta host. Pure: input data in, a `#cloud-config` document out.
 *
 * - Docker from the distribution's packages (`docker.io`, Debian 12), not a curl|sh script; the
 *   daemon gets bounded logs, live-restore and no-new-privileges by default.
 * - Unattended security upgrades with an automatic reboot window (containers come back through
 *   their `unless-stopped` restart policy).
 * - sshd: keys only, no root login, no password or keyboard-interactive auth, no forwarding,
 *   only the deploy user. The deploy user is in the `docker` group, which is root-equivalent:
 *   that is what Docker-over-SSH deployment needs, so SSH is open only to the allow-list.
 * - A coarse per-source-IP new-connection limit on 80/443 in Docker's DOCKER-USER chain: Caddy
 *   has no rate limiter without a plugin (see proxy.ts).
 * - Daily `pg_dump` of every container labelled `platform.backup=pg_dump` to S3 with the
 *   instance profile's credentials (a systemd timer); retention is the bucket's lifecycle rule.
 */
import { stringify } from "yaml";

export interface CloudInitInput {
  deployUser: string;
  sshPublicKey: string;
  connectionLimit: { perSecond: number; burst: number };
  /** Absent: no backup timer (tiers without backups). */
  backup?: { bucket: string; region: string; prefix: string; onCalendar: string };
  /** Local time of the automatic reboot after kernel updates (UTC). */
  rebootTime?: string;
}

export const BACKUP_LABEL = "platform.backup";
export const BACKUP_USER_LABEL = "platform.backup.user";
export const BACKUP_DATABASES_LABEL = "platform.backup.databases";

export const SSHD_HARDENING = (user: string): string =>
  [
    "# Managed by the platform (components/host/cloudinit.ts). Included first, so these win.",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitEmptyPasswords no",
    "PermitRootLogin no",
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "X11Forwarding no",
    "AllowTcpForwarding no",
    "AllowAgentForwarding no",
    "MaxAuthTries 3",
    "LoginGraceTime 30",
    "ClientAliveInterval 300",
    `AllowUsers ${user}`,
    "",
  ].join("\n");

export function connectionLimitScript(limit: { perSecond: number; burst: number }): string {
  const rule = `-p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW -m hashlimit --hashlimit-above ${limit.perSecond}/second --hashlimit-burst ${limit.burst} --hashlimit-mode srcip --hashlimit-name platform-http -j DROP`;
  return [
    "#!/bin/bash",
    "# Per-source-IP new-connection limit on the published 80/443 (Docker's DOCKER-USER chain).",
    "set -euo pipefail",
    "iptables -N DOCKER-USER 2>/dev/null || true",
    `iptables -C DOCKER-USER ${rule} 2>/dev/null || iptables -I DOCKER-USER ${rule}`,
    "",
  ].join("\n");
}

export function backupScript(b: NonNullable<CloudInitInput["backup"]>): string {
  return [
    "#!/bin/bash",
    "# pg_dump of every PostgreSQL container labelled platform.backup=pg_dump, streamed to S3.",
    "# Credentials: the instance profile (IMDSv2). Retention: the bucket's lifecycle rule.",
    "set -euo pipefail",
    `BUCKET=${shellQuote(b.bucket)}`,
    `PREFIX=${shellQuote(b.prefix)}`,
    `export AWS_DEFAULT_REGION=${shellQuote(b.region)}`,
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    "failed=0",
    `for c in $(docker ps --filter label=${BACKUP_LABEL}=pg_dump --format '{{.Names}}'); do`,
    `  user="$(docker inspect --format '{{index .Config.Labels "${BACKUP_USER_LABEL}"}}' "$c")"`,
    `  dbs="$(docker inspect --format '{{index .Config.Labels "${BACKUP_DATABASES_LABEL}"}}' "$c")"`,
    '  docker exec "$c" pg_dumpall -U "$user" --globals-only | aws s3 cp - "s3://$BUCKET/$PREFIX/$c/globals/$stamp.sql" || failed=1',
    "  for db in ${dbs//,/ }; do",
    '    if docker exec "$c" pg_dump -U "$user" --format=custom "$db" | aws s3 cp - "s3://$BUCKET/$PREFIX/$c/$db/$stamp.dump"; then',
    '      echo "backed up $c/$db to s3://$BUCKET/$PREFIX/$c/$db/$stamp.dump"',
    "    else",
    '      echo "FAILED: $c/$db" >&2; failed=1',
    "    fi",
    "  done",
    "done",
    'exit "$failed"',
    "",
  ].join("\n");
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const unit = (sections: Record<string, Record<string, string>>): string =>
  Object.entries(sections)
    .map(
      ([name, kv]) =>
        `[${name}]\n${Object.entries(kv)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n")}\n`,
    )
    .join("\n");

/** The host's container log options: rotated json-file, each line tagged with the container name. */
export const DOCKER_LOG_OPTS = { "max-size": "20m", "max-file": "5", tag: "{{.Name}}" } as const;

/** Validate and render. Throws on an unusable key or user name (before anything is created). */
export function renderCloudInit(input: CloudInitInput): string {
  const problems: string[] = [];
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(input.deployUser) || input.deployUser === "root") problems.push("deployUser: a non-root login name such as `deploy`");
  if (!/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( [^\n]*)?$/.test(input.sshPublicKey))
    problems.push("sshPublicKey: one OpenSSH public key line");
  if (input.backup && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.backup.bucket)) problems.push("backup.bucket: an S3 bucket name");
  if (problems.length) throw new Error(`host cloud-init: invalid input\n  - ${problems.join("\n  - ")}`);
  const user = input.deployUser;

  const files: { path: string; permissions: string; content: string; owner?: string }[] = [
    { path: "/etc/ssh/sshd_config.d/00-platform-hardening.conf", permissions: "0644", content: SSHD_HARDENING(user) },
    {
      path: "/etc/docker/daemon.json",
      permissions: "0644",
      // json-file (not `local`): the log collector (components/monitoring/host.ts, Fluent Bit) tails
      // these files and ships them to Loki; `tag` records the container's name in every line.
      content: `${JSON.stringify({ "log-driver": "json-file", "log-opts": DOCKER_LOG_OPTS, "live-restore": true, "no-new-privileges": true, "userland-proxy": false }, null, 2)}\n`,
    },
    {
      path: "/etc/apt/apt.conf.d/20auto-upgrades",
      permissions: "0644",
      content: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\nAPT::Periodic::AutocleanInterval "7";\n',
    },
    {
      path: "/etc/apt/apt.conf.d/52platform-unattended-upgrades",
      permissions: "0644",
      content: [
        "Unattended-Upgrade::Origins-Pattern {",
        '  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";',
        '  "origin=Debian,codename=${distro_codename},label=Debian";',
        "};",
        'Unattended-Upgrade::Remove-Unused-Dependencies "true";',
        'Unattended-Upgrade::Automatic-Reboot "true";',
        `Unattended-Upgrade::Automatic-Reboot-Time "${input.rebootTime ?? "04:30"}";`,
        "",
      ].join("\n"),
    },
    { path: "/usr/local/sbin/platform-connlimit", permissions: "0755", content: connectionLimitScript(input.connectionLimit) },
    {
      path: "/etc/systemd/system/platform-connlimit.service",
      permissions: "0644",
      content: unit({
        Unit: { Description: "Per-source-IP connection limit on 80/443", After: "docker.service", Requires: "docker.service", PartOf: "docker.service" },
        Service: { Type: "oneshot", RemainAfterExit: "yes", ExecStart: "/usr/local/sbin/platform-connlimit" },
        Install: { WantedBy: "multi-user.target docker.service" },
      }),
    },
  ];
  const enable = ["docker.service", "platform-connlimit.service", "unattended-upgrades.service"];
  if (input.backup) {
    files.push(
      { path: "/usr/local/sbin/platform-pg-backup", permissions: "0750", content: backupScript(input.backup) },
      {
        path: "/etc/systemd/system/platform-pg-backup.service",
        permissions: "0644",
        content: unit({
          Unit: { Description: "pg_dump of the host's PostgreSQL containers to S3", After: "docker.service", Requires: "docker.service" },
          Service: { Type: "oneshot", ExecStart: "/usr/local/sbin/platform-pg-backup", Nice: "10" },
        }),
      },
      {
        path: "/etc/systemd/system/platform-pg-backup.timer",
        permissions: "0644",
        content: unit({
          Unit: { Description: "Daily PostgreSQL backup to S3" },
          Timer: { OnCalendar: input.backup.onCalendar, Persistent: "true", RandomizedDelaySec: "10m" },
          Install: { WantedBy: "timers.target" },
        }),
      },
    );
    enable.push("platform-pg-backup.timer");
  }

  const doc = {
    package_update: true,
    package_upgrade: true,
    packages: ["docker.io", "unattended-upgrades", "apt-listchanges", "awscli", "iptables", "ca-certificates"],
    ssh_pwauth: false,
    disable_root: true,
    timezone: "Etc/UTC",
    // The docker group exists (as the system group docker.io's postinst would create) BEFORE the
    // users module runs, so the deploy user is born in it: an SSH session opened while cloud-init is
    // still installing packages already holds the group. (Adding the user in runcmd, at the end of
    // cloud-init, left such a session without it: `docker version` failed on the first run.)
    bootcmd: [["groupadd", "--system", "--force", "docker"]],
    users: [{ name: user, shell: "/bin/bash", lock_passwd: true, groups: ["docker"], ssh_authorized_keys: [input.sshPublicKey] }],
    write_files: files,
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", ...enable],
      ["sh", "-c", "sshd -t && systemctl reload ssh"],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
