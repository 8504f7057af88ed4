/**
 * The spec's data-path rules (issue 18): backups are written where the blueprint says, and no
 * object store is declared that nothing uses (the music platform's `backups` bucket was never
 * written). Each refusal names the field and the fix.
 */
import { describe, expect, it } from "vitest";
import { SpecError } from "../../stacks/spec/errors";
import { loadSpec } from "../../stacks/spec/load";
import { richBlueprint, richConfig } from "./fixtures";

function issuesOf(blueprint: any): { path: string; message: string }[] {
  try {
    loadSpec({ stack: "prod", config: richConfig(), blueprint });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues.map((i: any) => ({ path: Array.isArray(i.path) ? i.path.join(".") : String(i.path), message: i.message }));
  }
  throw new Error("expected the spec to be rejected");
}

const inCluster = (bp: any) => {
  bp.dataStores.postgres[0].placement = "in-cluster";
  return bp;
};

describe("spec: postgres backupsTo", () => {
  it("accepts an in-cluster database with PITR whose backups go to a declared object store", () => {
    const bp = inCluster(richBlueprint() as any);
    bp.dataStores.objectStores.push({ name: "backups", engine: "s3" });
    bp.dataStores.postgres[0].backupsTo = "backups";
    const spec = loadSpec({ stack: "prod", config: richConfig(), blueprint: bp });
    expect(spec.blueprint.dataStores.postgres[0]!.backupsTo).toBe("backups");
  });

  it("refuses an object store that is not declared, naming the declared ones", () => {
    const bp = inCluster(richBlueprint() as any);
    bp.dataStores.postgres[0].backupsTo = "vault";
    const issues = issuesOf(bp);
    expect(issues).toContainEqual(expect.objectContaining({ message: expect.stringContaining("no object store 'vault' in this blueprint; declared: files") }));
    expect(issues.find((i) => i.message.includes("'vault'"))!.path).toBe("dataStores.postgres[0] (main).backupsTo");
  });

  it("refuses backupsTo on RDS (it keeps its own backups) and without PITR", () => {
    const bp = richBlueprint() as any;
    bp.dataStores.objectStores.push({ name: "backups", engine: "s3" });
    bp.dataStores.postgres[0].backupsTo = "backups";
    bp.dataStores.postgres[0].pitr = false;
    const msgs = issuesOf(bp).map((i) => i.message);
    expect(msgs).toContainEqual(expect.stringContaining("RDS keeps its backups in AWS Backup and snapshots, not in a bucket"));
    expect(msgs).toContainEqual(expect.stringContaining("backupsTo needs pitr: true"));
  });
});

describe("spec: no bucket that nobody writes", () => {
  it("refuses an object store no service uses and no database backs up to (the music platform's old `backups`)", () => {
    const bp = richBlueprint() as any;
    bp.dataStores.objectStores.push({ name: "backups", engine: "s3", archiveAfterDays: 30 });
    const msgs = issuesOf(bp).map((i) => i.message);
    expect(msgs).toContainEqual(
      expect.stringContaining(
        "object store 'backups' is used by nothing: list it in a service's connectsTo, or name it in a postgres store's backupsTo, or remove it",
      ),
    );
  });

  it("an object store read through a secret ref counts as used", () => {
    const bp = richBlueprint() as any;
    bp.dataStores.objectStores.push({ name: "exports", engine: "s3" });
    bp.services[1].secrets = [{ env: "EXPORTS_URL", from: "dataStore:objectStore/exports#url" }];
    expect(() => loadSpec({ stack: "prod", config: richConfig(), blueprint: bp })).not.toThrow();
  });
});

describe("spec: Scylla keyspaces are rebuildable, stated in the blueprint", () => {
  it("refuses a Scylla store that does not say where its keyspaces are rebuilt from (no Scylla backups are taken)", () => {
    const bp = richBlueprint() as any;
    delete bp.dataStores.scylla[0].rebuiltFrom;
    const issues = issuesOf(bp);
    const issue = issues.find((i) => i.path.includes("rebuiltFrom"))!;
    expect(issue.path).toBe("dataStores.scylla[0] (chain).rebuiltFrom");
    expect(issue.message).toContain(
      "state where the keyspaces are rebuilt from after a total loss (no Scylla backups are taken: Scylla Manager is not deployed)",
    );
  });
});
