/**
 * One Kubernetes minor version everywhere it matters: the EKS version the staging and prod stacks
 * pin (and the spec's default), and the embedded control plane the conformance run deploys onto
 * (scripts/engine.sh builds k8s.io/kubernetes at K8S_VERSION). A prod pin the control plane does
 * not run would make the conformance run prove nothing about prod.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadSpec, platformConfigFromRaw } from "../../stacks/spec/load";
import { readStackFile, withPlaceholderSecrets } from "../../tools/harness/stacks";

const ROOT = resolve(__dirname, "..", "..");
const engineK8s = /^K8S_VERSION="v(\d+\.\d+)\.\d+"$/m.exec(readFileSync(join(ROOT, "scripts", "engine.sh"), "utf8"))?.[1];
const goMod = readFileSync(join(ROOT, "tools", "engine", "cluster", "go.mod"), "utf8");

describe("Kubernetes versions agree", () => {
  it("engine.sh builds the control plane from the k8s.io/kubernetes version its module requires", () => {
    expect(engineK8s).toBeDefined();
    expect(goMod).toMatch(new RegExp(`k8s\\.io/kubernetes v${engineK8s!.replace(".", "\\.")}\\.\\d+`));
  });
  for (const stack of ["staging", "prod"]) {
    it(`Pulumi.${stack}.yaml pins EKS ${engineK8s}`, () => {
      const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, any> };
      expect(doc.config["platform:cluster"].version).toBe(engineK8s);
    });
  }
  const prodWith = (cluster: Record<string, unknown>) => {
    const input = withPlaceholderSecrets(readStackFile("prod"));
    return () => loadSpec({ stack: "prod", config: platformConfigFromRaw({ ...input.config, "platform:cluster": JSON.stringify(cluster) }) });
  };
  it("the spec defaults to it", () => {
    const spec = prodWith({ mode: "eks" })();
    expect(spec.hosting.mode === "kubernetes" && spec.hosting.cluster === "eks" && spec.hosting.version).toBe(engineK8s);
  });
  it("rejects a version out of EKS standard support, naming the field and the versions to use", () => {
    expect(prodWith({ mode: "eks", version: "1.31" })).toThrow(/platform:cluster\.version: must be an EKS version in standard support: 1\.35 or 1\.36/);
  });
});
