/**
 * The CloudFront edge (viewer-request/-response functions + response headers policy, generated
 * from the rule table) applied by a loopback server in front of an S3 stand-in, as CloudFront
 * applies them, with real Nuxt 3 / Flutter-WASM builds, opened in Debian's Chromium.
 * Scenarios: ./edge-scenarios.ts; what the server models: startCloudFront in ./harness.ts.
 */
import { edgeScenarios } from "./edge-scenarios";
import { startCloudFront } from "./harness";

edgeScenarios("CloudFront (functions + response headers policy)", "cloudfront", startCloudFront);
