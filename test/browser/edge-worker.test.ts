/**
 * The EdgeSite Worker (components/edge/worker, generated from the rule table) in real workerd,
 * its R2 bucket seeded from real Nuxt 3 / Flutter-WASM builds through the component's upload
 * plan, opened in Debian's Chromium. Scenarios: ./edge-scenarios.ts.
 */
import { edgeScenarios } from "./edge-scenarios";
import { startWorker } from "./harness";

edgeScenarios("Worker (workerd)", "cloudflare", startWorker);
