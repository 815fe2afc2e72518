import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Multi-process tests spawn node children; give them room on a 2-core machine.
    testTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
