/**
 * The shared folder the tests read from: the offline chart mirror (`charts/`, a chart repository
 * with index.yaml) they install and read charts from, and the reference systems' deployment views
 * (`reference-systems/`). scripts/test.mjs finds it once — TEST_SHARED_DIR, else ../shared next to
 * the checkout, else next to the checkout a clone was made from — and hands it to every worker; a
 * vitest run started by hand falls back to ../shared.
 *
 * The chart mirror here is not the program's PLATFORM_CHARTS_MIRROR: a test that wants the program
 * to take its charts from it passes that variable (or platform:charts.mirror) itself.
 */
import { join, resolve } from "node:path";

export const SHARED_DIR: string = process.env["TEST_SHARED_DIR"] ?? resolve(__dirname, "..", "..", "..", "shared");
export const CHARTS_MIRROR: string = join(SHARED_DIR, "charts");
export const REFERENCE_SYSTEMS: string = join(SHARED_DIR, "reference-systems");
