// Images from a private registry get pull credentials. Before, nothing anywhere carried them: the
// Kubernetes pods had no imagePullSecrets and the host's Docker provider no registryAuth, so a
// private ghcr.io image could never be pulled. Now `platform:registries` + the secret
// `platform:registryPasswords.<name>` produce a kubernetes.io/dockerconfigjson Secret in the
// namespace whose pods pull from it, imagePullSecrets on those pods, and registryAuth on the host.
import { describe, expect, it } from "vitest";
import { dockerConfigJson, registryHostOf } from "../../stacks/spec/registries";
import type { InventoryResource } from "../../tools/harness/inventory";
import { readStackFile, runStackInput, specErrors, type StackInput, withPlaceholderSecrets } from "../../tools/harness/stacks";

const TOKEN = "fake-registry-token-for-tests-0001";
const GHCR = [{ name: "ghcr", host: "ghcr.io", username: "acme-deploy" }];

function withRegistries(stack: string, registries: unknown, passwords?: Record<string, string>): StackInput {
  const input = withPlaceholderSecrets(readStackFile(stack));
  return {
    ...input,
    config: {
      ...input.config,
      "platform:registries": JSON.stringify(registries),
      ...(passwords ? { "platform:registryPasswords": JSON.stringify(passwords) } : {}),
    },
    secretKeys: [...input.secretKeys, ...(passwords ? ["platform:registryPasswords"] : [])],
  };
}

const podSpecOf = (r: InventoryResource) =>
  (r.inputs.spec as { template: { spec: { imagePullSecrets?: { name: string }[]; containers: { image: string }[] } } }).template.spec;

describe("registry auth: the spec", () => {
  it("refuses a registry without its password, naming the field and the command", () => {
    expect(specErrors(withRegistries("staging", GHCR))).toEqual([
      {
        path: "platform:registries[0] (ghcr).name",
        message: "registry 'ghcr' (ghcr.io) has no password: `pulumi config set --secret --path platform:registryPasswords.ghcr <token>`",
      },
    ]);
  });

  it("refuses a URL as host, a bare name, a duplicate host and a password for no registry", () => {
    const errs = specErrors(
      withRegistries(
        "staging",
        [
          { name: "ghcr", host: "https://ghcr.io", username: "u" },
          { name: "hub", host: "acme", username: "u" },
          { name: "one", host: "ghcr.io", username: "u" },
          { name: "two", host: "ghcr.io", username: "u" },
        ],
        { ghcr: TOKEN, hub: TOKEN, one: TOKEN, two: TOKEN, typo: TOKEN },
      ),
    );
    expect(errs.map((e) => e.path)).toEqual([
      "platform:registries[0] (ghcr).host",
      "platform:registries[1] (hub).host",
      "platform:registries[3] (two).host",
      "platform:registryPasswords.typo",
    ]);
    expect(errs[0]!.message).toMatch(/registry host .*no scheme, no path/);
    expect(errs[1]!.message).toMatch(/a bare name is read as a Docker Hub namespace/);
    const rest = specErrors(
      withRegistries(
        "staging",
        [
          { name: "one", host: "ghcr.io", username: "u" },
          { name: "two", host: "ghcr.io", username: "u" },
        ],
        { one: TOKEN, two: TOKEN, typo: TOKEN },
      ),
    );
    expect(rest).toEqual([
      { path: "platform:registries[1] (two).host", message: "registry 'one' already has host ghcr.io: one entry per registry host" },
      { path: "platform:registryPasswords.typo", message: "'typo' is not a registry under platform:registries (one, two): remove it or fix its spelling" },
    ]);
  });

  it("reads the registry host of image references as Docker does", () => {
    expect(registryHostOf("ghcr.io/acme/api:1")).toBe("ghcr.io");
    expect(registryHostOf("nginx:1.27")).toBe("docker.io");
    expect(registryHostOf("acme/api:1")).toBe("docker.io");
    expect(registryHostOf("registry.example.com:5000/api:1")).toBe("registry.example.com:5000");
    expect(JSON.parse(dockerConfigJson({ name: "hub", host: "docker.io", username: "u" }, "p"))).toEqual({
      auths: { "https://index.docker.io/v1/": { username: "u", password: "p", auth: Buffer.from("u:p").toString("base64") } },
    });
  });
});

describe("registry auth: what the program registers", () => {
  for (const stack of ["staging", "prod"]) {
    it(`${stack}: a dockerconfigjson Secret in the apps namespace, secret; every pod pulling from ghcr.io names it`, async () => {
      const { inventory } = await runStackInput(withRegistries(stack, GHCR, { ghcr: TOKEN }));
      const secrets = inventory.resources.filter(
        (r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.type as string) === "kubernetes.io/dockerconfigjson",
      );
      expect(secrets.map((s) => (s.inputs.metadata as { name: string; namespace: string }).name)).toEqual(["registry-ghcr"]);
      const secret = secrets[0]!;
      expect((secret.inputs.metadata as { namespace: string }).namespace).toBe("apps");
      expect(secret.secretPaths).toContain("stringData");
      const cfg = JSON.parse((secret.inputs.stringData as Record<string, string>)[".dockerconfigjson"]!);
      expect(cfg.auths["ghcr.io"]).toMatchObject({ username: "acme-deploy", password: TOKEN });
      const workloads = inventory.resources.filter(
        (r) => /^kubernetes:apps\/v1:(Deployment|StatefulSet)$/.test(r.type) && (r.inputs.metadata as { namespace: string }).namespace === "apps",
      );
      expect(workloads.length).toBeGreaterThan(0);
      for (const w of workloads) {
        const pod = podSpecOf(w);
        const fromGhcr = pod.containers.some((c) => c.image.startsWith("ghcr.io/"));
        expect(pod.imagePullSecrets ?? [], w.name).toEqual(fromGhcr ? [{ name: "registry-ghcr" }] : []);
      }
      expect(workloads.some((w) => podSpecOf(w).imagePullSecrets)).toBe(true);
    });
  }

  it("dev (single host): the Docker provider pulls with registryAuth, the password secret", async () => {
    const { inventory } = await runStackInput(withRegistries("dev", GHCR, { ghcr: TOKEN }));
    const provider = inventory.resources.find((r) => r.type === "pulumi:providers:docker" && r.name === "dev-host-docker")!;
    // Provider inputs reach the engine JSON-encoded.
    const raw = provider.inputs.registryAuth;
    const auth = typeof raw === "string" ? JSON.parse(raw) : raw;
    expect(auth).toEqual([{ address: "ghcr.io", username: "acme-deploy", password: TOKEN }]);
  });

  it("without registries nothing changes: no pull Secret, no imagePullSecrets, no registryAuth", async () => {
    const { inventory } = await runStackInput(withPlaceholderSecrets(readStackFile("staging")));
    expect(inventory.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.type === "kubernetes.io/dockerconfigjson")).toEqual([]);
  });
});
