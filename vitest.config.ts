import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/**/*.test.ts"],
    environment: "node",
    // Pulumi's mock runtime keeps process-global state; every test file gets its own worker process.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Every stack and blueprint × tier is planned once per run and shared through the plan cache
    // (test/harness/planned.ts); this starts the planner that fills it in the background.
    globalSetup: ["test/harness/global-setup.ts"],
  },
});
