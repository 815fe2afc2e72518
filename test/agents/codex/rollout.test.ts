import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCodexInvoker } from "../../../src/agents/codex/invoker.js";

const CODEX = join(import.meta.dirname, "..", "..", "fixtures", "agent-outputs", "codex");
// The real 0.40 rollout excerpt, and a real 0.46 stdout given that rollout's thread id.
const ROLLOUT = "session-rollout-excerpt.v0.40.0.jsonl";
const THREAD = "01997e76-d124-7592-9cac-2ec05abbca08";
const ROLLOUT_NAME = `rollout-2025-09-24T19-22-20-${THREAD}.jsonl`;
const stdout = async () =>
  (await readFile(join(CODEX, "exec-json-simple.v0.46.0.jsonl"), "utf8")).replace(
    "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5",
    THREAD,
  );

/** A temp home with the rollout under `<home>/<codexHome>/sessions/<day>/`, or none. */
async function homeWith(codexHome: string, day: string | null): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "codex-rollout-"));
  if (day !== null) {
    const dir = join(home, codexHome, "sessions", day);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, ROLLOUT_NAME), await readFile(join(CODEX, ROLLOUT)));
  }
  return home;
}

describe("Codex: the model of a run without --model, from its own rollout", () => {
  it.each([
    // The folder is the local date (the file says 19:22 on the 24th; the id's time is 01:22 UTC on the 25th).
    [
      "$CODEX_HOME",
      "codex-home",
      "2025/09/24",
      (h: string) => ({ CODEX_HOME: join(h, "codex-home") }),
      "gpt-5-codex",
    ],
    ["the default ~/.codex", ".codex", "2025/09/25", (h: string) => ({ HOME: h }), "gpt-5-codex"],
    [
      "a rollout two days off is not looked for",
      ".codex",
      "2025/09/27",
      (h: string) => ({ HOME: h }),
      null,
    ],
    ["no rollout", ".codex", null, (h: string) => ({ HOME: h }), null],
  ])("%s", async (_what, folder, day, env, model) => {
    const home = await homeWith(folder, day);
    const r = await createCodexInvoker({ env: env(home) }).parseOutput(await stdout(), "", 0, 1);
    expect({
      model: r.model,
      warned: r.warnings.some((w) => w.includes("named no model")),
    }).toEqual({
      model,
      warned: model === null,
    });
  });

  it("the model asked for with --model is kept, no file read", async () => {
    const home = await homeWith(".codex", "2025/09/24");
    const invoker = createCodexInvoker({ model: "gpt-5.1-codex", env: { HOME: home } });
    const r = await invoker.parseOutput(await stdout(), "", 0, 1);
    expect([r.model, r.warnings]).toEqual(["gpt-5.1-codex", []]);
  });
});
