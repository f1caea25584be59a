import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts", "test/backends-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files start their own servers and ExifTool pools; two cores run two at a time.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
