import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/**/*.test.ts"],
    environment: "node",
    // Pulumi's mock runtime keeps process-global state; every test file gets its own worker process.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
