/**
 * The preview-mode runner defect of the corpus run (test/foreign/CORPUS-RESULTS.md): "invoke
 * pulumi:pulumi:getResource failed: Unexpected struct type" on programs with @pulumi/pulumi
 * 3.37–3.78. Those SDKs' MockMonitor stores a registration as `{ urn, id: result.id, state }`; in
 * preview the runner's newResource gives no id, so the stored id is undefined, and the monitor's
 * getResource answer, Struct.fromJavaScript({ urn, id, state }), throws in google-protobuf. Checked by
 * hand end to end with @pulumi/pulumi 3.78.0 (a resource passed as another's input, rehydrated
 * through a registered resource module): preview failed before the fix and runs after it. Here the
 * same answer path runs on this repository's SDK (whose invoke code is the same; only its store
 * writes `id ?? null`: 3.160.0 does not, 3.181.0 does) with the entry shaped as the old SDKs store it.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { fixStoredIdForGetResource } from "../../scripts/foreign/invokes";

const preq = createRequire(require.resolve("@pulumi/pulumi"));
const { MockMonitor } = preq("./runtime/mocks") as { MockMonitor: new (mocks: unknown) => any };
const { Struct } = preq("google-protobuf/google/protobuf/struct_pb.js") as { Struct: { fromJavaScript(o: unknown): any } };

const URN = "urn:pulumi:dev::site::aws:s3/bucketV2:BucketV2::site";
const getResource = (monitor: any): Promise<{ err?: Error; ret?: Record<string, unknown> }> =>
  new Promise((resolve) =>
    monitor.invoke(
      { getTok: () => "pulumi:pulumi:getResource", getArgs: () => Struct.fromJavaScript({ urn: URN }), getProvider: () => "" },
      (err: Error | null, resp: any) => resolve(err ? { err } : { ret: resp.getReturn().toJavaScript() }),
    ),
  );

describe("getResource in preview on the MockMonitor of @pulumi/pulumi up to at least 3.160", () => {
  it("a stored id of undefined (old SDKs, preview) fails as in the corpus; after the runner's fix it is answered as an unknown (null) id", async () => {
    const monitor = new MockMonitor({ newResource: () => ({ id: undefined, state: {} }), call: () => ({}) });
    monitor.resources.set(URN, { urn: URN, id: undefined, state: { bucket: "site" } });
    const before = await getResource(monitor);
    expect(before.err?.message).toBe("Unexpected struct type.");
    expect(fixStoredIdForGetResource(monitor, URN)).toBe(true);
    const after = await getResource(monitor);
    expect(after.err).toBeUndefined();
    expect(after.ret).toEqual({ urn: URN, id: null, state: { bucket: "site" } });
  });

  it("leaves known ids and unknown URNs alone", () => {
    const monitor = new MockMonitor({ newResource: () => ({ id: "i-1", state: {} }), call: () => ({}) });
    monitor.resources.set(URN, { urn: URN, id: "i-1", state: {} });
    expect(fixStoredIdForGetResource(monitor, URN)).toBe(false);
    expect(monitor.resources.get(URN).id).toBe("i-1");
    expect(fixStoredIdForGetResource(monitor, "urn:pulumi:dev::site::x::y")).toBe(false);
  });
});
