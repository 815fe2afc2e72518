import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkModule, GENERATED_CHECKS } from "../scripts/generate-checks.js";

// The validators compiled ahead of time (scripts/generate-checks.ts) must be the code typebox
// compiles from their schemas now: a schema changed without running the script fails here.
describe("the validators compiled ahead of time", () => {
  it.each(GENERATED_CHECKS.map((check) => [check.path, check] as const))(
    "%s is what scripts/generate-checks.ts writes (run it after changing the schema)",
    async (path, check) => {
      const text = await readFile(join(import.meta.dirname, "..", path), "utf8");
      expect(text).toBe(checkModule(check));
    },
  );
});
