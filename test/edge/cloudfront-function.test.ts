/**
 * The generated CloudFront Functions executed in node:vm against sample viewer events, in a
 * context holding only what the cloudfront-js-2.0 runtime offers the code we emit (no require,
 * no process, no timers), after an ES5.1 parse proves the syntax.
 */
import * as vm from "vm";
import { parse } from "acorn";
import { describe, expect, it } from "vitest";
import { buildRuleTable, decide, EdgeRuleTable, notFoundHeaders } from "../../components/edge/headers";
import {
  CLOUDFRONT_FUNCTION_MAX_BYTES,
  headersOfPolicyPlan,
  planResponseHeadersPolicy,
  renderViewerRequestFunction,
  renderViewerResponseFunction,
} from "../../components/edge/cloudfront/function";

type Headers = Record<string, { value: string }>;
interface CfEvent {
  version: "1.0";
  context: { eventType: string; distributionId: string; requestId: string };
  viewer: { ip: string };
  request: { method: string; uri: string; querystring: Record<string, { value: string }>; headers: Headers; cookies: Record<string, unknown> };
  response?: { statusCode: number; statusDescription: string; headers: Headers; cookies: Record<string, unknown> };
}

function load(code: string): (event: CfEvent) => any {
  const context = vm.createContext(Object.create(null));
  vm.runInContext(code, context, { timeout: 1000 });
  expect(typeof context.handler).toBe("function");
  return (event) => JSON.parse(JSON.stringify(context.handler(JSON.parse(JSON.stringify(event)))));
}

function requestEvent(uri: string): CfEvent {
  return {
    version: "1.0",
    context: { eventType: "viewer-request", distributionId: "EDFDVBD6EXAMPLE", requestId: "r-1" },
    viewer: { ip: "198.51.100.7" },
    request: { method: "GET", uri, querystring: {}, headers: { host: { value: "app.example.com" } }, cookies: {} },
  };
}

function responseEvent(uri: string, statusCode: number, headers: Headers = {}): CfEvent {
  return {
    ...requestEvent(uri),
    context: { eventType: "viewer-response", distributionId: "EDFDVBD6EXAMPLE", requestId: "r-1" },
    response: { statusCode, statusDescription: "", headers, cookies: {} },
  };
}

const tables: Array<[string, EdgeRuleTable]> = [
  ["defaults", buildRuleTable({})],
  ["credentialless+vite+nuxt", buildRuleTable({ coep: "credentialless", hashed: { conventions: ["vite", "nuxt", "dotted-hex"], patterns: [] } })],
];

describe.each(tables)("CloudFront Functions (%s)", (_name, table) => {
  const reqCode = renderViewerRequestFunction(table);
  const resCode = renderViewerResponseFunction(table);
  const viewerRequest = load(reqCode);
  const viewerResponse = load(resCode);

  it("is ES5.1 syntax, declares handler, and fits the 10 KB limit", () => {
    for (const code of [reqCode, resCode]) {
      expect(() => parse(code, { ecmaVersion: 5, sourceType: "script" })).not.toThrow();
      expect(Buffer.byteLength(code)).toBeLessThan(CLOUDFRONT_FUNCTION_MAX_BYTES);
      expect(code).toMatch(/^function handler\(event\)/m);
    }
  });

  it("viewer-request: SPA routes → /index.html, assets untouched", () => {
    expect(viewerRequest(requestEvent("/")).uri).toBe("/index.html");
    expect(viewerRequest(requestEvent("/app/settings")).uri).toBe("/index.html");
    expect(viewerRequest(requestEvent("/app/settings/")).uri).toBe("/index.html");
    for (const uri of ["/main.3f2a9c1b.js", "/canvaskit/canvaskit.wasm", "/asset_versions.json", "/missing.png", "/about.html"]) {
      const out = viewerRequest(requestEvent(uri));
      expect(out.uri).toBe(uri);
      expect(out.headers.host.value).toBe("app.example.com");
    }
  });

  it("viewer-response: class headers equal the Worker's (table minus the policy's common headers)", () => {
    const paths = [
      "/index.html",
      "/main.3f2a9c1b.js",
      "/canvaskit/canvaskit.wasm",
      "/canvaskit/canvaskit.5d7c1e2a.wasm",
      "/asset_versions.json",
      "/flutter_bootstrap.js",
      "/assets/index-BXk3Fz9a.js",
    ];
    const policyHeaders = headersOfPolicyPlan(planResponseHeadersPolicy(table));
    for (const uri of paths) {
      const out = viewerResponse(responseEvent(uri, 200, { "content-type": { value: "binary/octet-stream" }, etag: { value: '"x"' } }));
      const got: Record<string, string> = {};
      for (const [k, v] of Object.entries(out.headers as Headers)) got[k] = v.value;
      // What the viewer sees = function headers + policy headers; must equal the Worker's decision.
      const viewerSees = { ...got, ...policyHeaders };
      delete viewerSees.etag;
      expect(viewerSees, uri).toEqual(decide(table, uri).headers);
    }
  });

  it("wasm gets application/wasm even when S3 stored it as binary/octet-stream", () => {
    const out = viewerResponse(responseEvent("/canvaskit/canvaskit.wasm", 200, { "content-type": { value: "binary/octet-stream" } }));
    expect(out.headers["content-type"].value).toBe("application/wasm");
  });

  it("a rewritten route (/index.html) gets exactly the route's headers", () => {
    expect(decide(table, "/index.html").headers).toEqual(decide(table, "/some/route").headers);
  });

  it("defensive: if a viewer-response ever sees a 404 it stays 404 with no-store; policy + function = the Worker's 404 headers", () => {
    const out = viewerResponse(responseEvent("/missing.js", 404, { "content-type": { value: "application/xml" } }));
    expect(out.statusCode).toBe(404);
    expect(out.headers["cache-control"].value).toBe("no-store");
    const viewerSees: Record<string, string> = { ...headersOfPolicyPlan(planResponseHeadersPolicy(table)) };
    for (const [k, v] of Object.entries(out.headers as Headers)) viewerSees[k] = v.value;
    expect(viewerSees).toEqual(notFoundHeaders(table));
  });

  it("the response headers policy carries exactly the common headers", () => {
    expect(headersOfPolicyPlan(planResponseHeadersPolicy(table))).toEqual(table.common);
    const plan = planResponseHeadersPolicy(table);
    expect(Object.keys(plan.customHeaders).sort()).toEqual(["cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy"]);
  });
});
