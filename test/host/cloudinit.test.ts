/**
 * cloud-init user data of the beta host: structure (parsed YAML), the real cloud-init schema
 * validator (Debian package `cloud-init` on PATH) and shellcheck (Debian `shellcheck`) on every
 * generated script.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCloudInit, type CloudInitInput } from "../../components/host/cloudinit";
import { WAIT_FOR_HOST } from "../../components/host/vm";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly deploy@example";
const input: CloudInitInput = {
  deployUser: "deploy",
  sshPublicKey: KEY,
  connectionLimit: { perSecond: 20, burst: 60 },
  backup: { bucket: "dev-host-backups-0123", region: "us-east-1", prefix: "postgres", onCalendar: "*-*-* 03:00:00 UTC" },
};

interface Doc {
  packages: string[];
  ssh_pwauth: boolean;
  disable_root: boolean;
  users: { name: string; ssh_authorized_keys: string[]; lock_passwd: boolean }[];
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: string[][];
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "host-cloudinit-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const render = (i: CloudInitInput = input) => renderCloudInit(i);
const doc = (i: CloudInitInput = input) => parse(render(i)) as Doc;
const file = (d: Doc, p: string) => {
  const f = d.write_files.find((w) => w.path === p);
  if (!f) throw new Error(`no ${p} in write_files`);
  return f;
};

describe("renderCloudInit", () => {
  it("is a valid cloud-config for the real cloud-init schema validator, with and without backups", () => {
    const { backup: _omit, ...noBackup } = input;
    for (const [i, text] of [render(), render(noBackup)].entries()) {
      expect(text.startsWith("#cloud-config\n")).toBe(true);
      const f = path.join(tmp, `user-data-${i}.yaml`);
      fs.writeFileSync(f, text);
      const out = execFileSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
      expect(out).toContain("Valid cloud-config");
    }
  });

  it("installs Docker, unattended-upgrades and the AWS CLI from the distribution's packages", () => {
    const d = doc();
    expect(d.packages).toEqual(expect.arrayContaining(["docker.io", "unattended-upgrades", "awscli"]));
    expect(render()).not.toMatch(/curl[^\n]*\|\s*(sh|bash)/);
    expect(file(d, "/etc/apt/apt.conf.d/20auto-upgrades").content).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(file(d, "/etc/apt/apt.conf.d/52platform-unattended-upgrades").content).toContain("-security");
    const enable = d.runcmd.find((c) => c[0] === "systemctl" && c[1] === "enable")!;
    expect(enable).toEqual(expect.arrayContaining(["docker.service", "unattended-upgrades.service", "platform-pg-backup.timer", "platform-connlimit.service"]));
  });

  it("hardens sshd: keys only, no root, no passwords, only the deploy user; the key is installed for deploy", () => {
    const d = doc();
    const sshd = file(d, "/etc/ssh/sshd_config.d/00-platform-hardening.conf").content;
    for (const line of [
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin no",
      "AuthenticationMethods publickey",
      "AllowUsers deploy",
    ]) {
      expect(sshd.split("\n")).toContain(line);
    }
    expect(d.ssh_pwauth).toBe(false);
    expect(d.disable_root).toBe(true);
    expect(d.users).toEqual([expect.objectContaining({ name: "deploy", lock_passwd: true, ssh_authorized_keys: [KEY] })]);
    expect(d.runcmd.some((c) => c.join(" ").includes("sshd -t && systemctl reload ssh"))).toBe(true);
  });

  it("the deploy user is born in the docker group: no SSH session can predate its membership (the readiness race)", () => {
    // Before: runcmd (the last thing cloud-init does) ran `usermod -aG docker deploy`, but the readiness
    // check's SSH session opened as soon as sshd took the key, earlier: its groups were fixed at login
    // without docker, so `docker version` failed on the first run.
    const d = doc() as Doc & { bootcmd?: string[][]; users: { groups?: string[] }[] };
    expect(d.bootcmd).toContainEqual(["groupadd", "--system", "--force", "docker"]);
    expect(d.users[0]!.groups).toEqual(["docker"]);
    expect(d.runcmd.some((c) => c[0] === "usermod" || c.join(" ").includes("gpasswd"))).toBe(false);
    // The readiness check asserts the session holds the group before asking Docker, with a pointer.
    const lines = WAIT_FOR_HOST.split("\n");
    const groupCheck = lines.findIndex((l) => l.includes("id -nG") && l.includes("docker"));
    expect(groupCheck).toBeGreaterThan(lines.findIndex((l) => l.includes("cloud-init status --wait")));
    expect(groupCheck).toBeLessThan(lines.findIndex((l) => l.startsWith("docker version")));
  });

  it("schedules the pg_dump backup to the bucket and generates scripts shellcheck accepts", () => {
    const d = doc();
    const script = file(d, "/usr/local/sbin/platform-pg-backup").content;
    expect(script).toContain("BUCKET='dev-host-backups-0123'");
    expect(script).toContain('pg_dump -U "$user" --format=custom');
    expect(script).toContain("label=platform.backup=pg_dump");
    expect(file(d, "/etc/systemd/system/platform-pg-backup.timer").content).toContain("OnCalendar=*-*-* 03:00:00 UTC");
    const limit = file(d, "/usr/local/sbin/platform-connlimit").content;
    expect(limit).toContain("--hashlimit-above 20/second --hashlimit-burst 60 --hashlimit-mode srcip");
    for (const p of ["/usr/local/sbin/platform-pg-backup", "/usr/local/sbin/platform-connlimit"]) {
      const f = path.join(tmp, path.basename(p));
      fs.writeFileSync(f, file(d, p).content);
      execFileSync("shellcheck", [f]);
    }
    // The readiness command the deploy runs over SSH (POSIX sh on the host).
    fs.writeFileSync(path.join(tmp, "wait.sh"), `#!/bin/sh\n${WAIT_FOR_HOST}\n`);
    execFileSync("shellcheck", [path.join(tmp, "wait.sh")]);
  });

  it("omits the backup timer when the tier keeps no backups", () => {
    const { backup: _omit, ...noBackup } = input;
    const d = doc(noBackup);
    expect(d.write_files.map((w) => w.path)).not.toContain("/usr/local/sbin/platform-pg-backup");
  });

  it("rejects a root deploy user, a malformed key or bucket with every problem listed", () => {
    expect(() => render({ ...input, deployUser: "root", sshPublicKey: "not a key", backup: { ...input.backup!, bucket: "Bad_Bucket" } })).toThrow(
      /deployUser[\s\S]*sshPublicKey[\s\S]*backup\.bucket/,
    );
  });
});
