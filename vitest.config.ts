import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests against the real hub share one hub; keep files sequential so spawns don't starve 2 cores.
    fileParallelism: false,
    pool: "forks",
  },
});
