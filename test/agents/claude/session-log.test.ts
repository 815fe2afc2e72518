import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createClaudeInvoker } from "../../../src/agents/claude/invoker.js";

const CLAUDE = join(import.meta.dirname, "..", "..", "fixtures", "agent-outputs", "claude");
// Recorded with the real Claude Code 2.1.197 against our model server, killed while the second
// reply hung: stdout has the Write call with output 1, its session log the final 345.
const STDOUT = "stream-json-killed-while-hanging.v2.1.197.jsonl";
const LOG = "session-log-killed-while-hanging.v2.1.197.jsonl";
const SESSION = "f8fb872b-e32e-4011-8f27-bb6d808f4997";
const PROJECT_FOLDER = "-tmp-spec-kitty-test-y2j8DJ-project";
const fixture = (name: string) => readFile(join(CLAUDE, name), "utf8");

/** A temp home with `log` as the session's file under `<home>/<configDir>/projects/`. */
async function homeWith(configDir: string, log: string | null): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "claude-session-"));
  const dir = join(home, configDir, "projects", PROJECT_FOLDER);
  await mkdir(dir, { recursive: true });
  await mkdir(join(home, configDir, "projects", "another-project"));
  if (log !== null) await writeFile(join(dir, `${SESSION}.jsonl`), log);
  return home;
}

const WRITE_CALL = {
  inputTokens: 1200,
  outputTokens: 345,
  cacheReadTokens: 20_000,
  cacheWriteTokens: 5000,
  cacheWrite1hTokens: 1000,
  reasoningTokens: 0,
};

describe("Claude: a run killed before its result line keeps each call's final usage", () => {
  it.each([
    [
      "$CLAUDE_CONFIG_DIR",
      "config",
      (h: string) => ({ CLAUDE_CONFIG_DIR: join(h, "config") }),
      345,
    ],
    ["the default ~/.claude", ".claude", (h: string) => ({ HOME: h }), 345],
    ["no session log: stdout's snapshot stays", null, (h: string) => ({ HOME: h }), 1],
  ])("%s", async (_what, folder, env, output) => {
    const home = await homeWith(folder ?? ".claude", folder === null ? null : await fixture(LOG));
    const r = await createClaudeInvoker({ env: env(home) }).parseOutput(
      await fixture(STDOUT),
      "",
      null,
      2,
    );
    expect(r).toMatchObject({
      success: false,
      sessionId: SESSION,
      model: "claude-sonnet-4-5",
      inputTokens: 1200,
      outputTokens: output,
      cacheWriteTokens: 5000,
      costUsd: null,
    });
    expect(r.models).toMatchObject([
      { model: "claude-sonnet-4-5", ...WRITE_CALL, outputTokens: output },
    ]);
  });

  it("counts a call once however many lines repeat it, at its largest usage; skips synthetic turns", async () => {
    const line = (output: number, requestId: string, model = "claude-sonnet-4-5") =>
      JSON.stringify({
        type: "assistant",
        requestId,
        message: { id: "msg_1", model, usage: { input_tokens: 10, output_tokens: output } },
      });
    const log = [
      line(1, "req_1"),
      line(40, "req_1"),
      "not json",
      line(7, "req_1"),
      line(0, "req_2", "<synthetic>"),
    ].join("\n");
    const home = await homeWith(".claude", log);
    const r = await createClaudeInvoker({ env: { HOME: home } }).parseOutput(
      await fixture(STDOUT),
      "",
      null,
      2,
    );
    // The log has less prompt than stdout showed: it does not replace the stream.
    expect(r.outputTokens).toBe(1);
    const fuller = log.replaceAll(
      '"input_tokens":10',
      '"input_tokens":1200,"cache_read_input_tokens":20000,"cache_creation_input_tokens":5000',
    );
    await writeFile(join(home, ".claude", "projects", PROJECT_FOLDER, `${SESSION}.jsonl`), fuller);
    const again = await createClaudeInvoker({ env: { HOME: home } }).parseOutput(
      await fixture(STDOUT),
      "",
      null,
      2,
    );
    expect(again.models).toMatchObject([{ outputTokens: 40, requests: [{ outputTokens: 40 }] }]);
  });

  it("a finished run keeps its result line's totals; the log gives each call (long-context tiers)", async () => {
    const killed = await fixture(STDOUT);
    const result = JSON.stringify({
      type: "result",
      subtype: "success",
      is_error: false,
      result: "Done.",
      session_id: SESSION,
      total_cost_usd: 0.035775,
      usage: {
        input_tokens: 1200,
        output_tokens: 345,
        cache_read_input_tokens: 20_000,
        cache_creation_input_tokens: 5000,
        cache_creation: { ephemeral_1h_input_tokens: 1000, ephemeral_5m_input_tokens: 4000 },
      },
    });
    const stdout = `${killed}\n${result}\n`;
    const without = await createClaudeInvoker({
      env: { HOME: await homeWith(".claude", null) },
    }).parseOutput(stdout, "", 0, 2);
    expect(without.models).toMatchObject([{ ...WRITE_CALL, requests: [] }]);
    const home = await homeWith(".claude", await fixture(LOG));
    const r = await createClaudeInvoker({ env: { HOME: home } }).parseOutput(stdout, "", 0, 2);
    expect(r).toMatchObject({ success: true, outputTokens: 345, costUsd: 0.035775 });
    expect(r.models).toMatchObject([{ ...WRITE_CALL, requests: [WRITE_CALL] }]);
  });
});
