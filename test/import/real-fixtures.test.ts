import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { importSessions } from "../../src/import/import-sessions.js";
import { queryProjectEvents } from "../../src/telemetry/query.js";
import { localizedFixture } from "../support/localized-fixture.js";
import { tempDir } from "../support/temp-project.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "session-logs");
const NOW = Date.parse("2026-12-31T00:00:00Z");

/** Per WP and model: input / cache read / cache write (of which 1 h) / output. */
type Usage = [number, number, number, number, number];

/**
 * The fixtures' sessions (made by the real CLIs against the model server) in a project laid
 * where they ran: `<home>/<project>` with the feature they worked on.
 */
async function project(agent: string, name: string, feature: string) {
  const home = await tempDir();
  const root = join(home, name);
  await mkdir(join(root, "kitty-specs", feature, "tasks"), { recursive: true });
  const logs = join(home, "logs");
  await localizedFixture(join(FIXTURES, agent), logs, home);
  const run = () =>
    importSessions({
      root,
      agents: [agent],
      sources: [logs],
      env: { HOME: home },
      now: () => NOW,
      warn: () => {},
    });
  const events = async () => {
    const all = await queryProjectEvents(root, {}, { warn: () => {} });
    return all.filter((e) => e.payload.source === "import");
  };
  return { root, run, events };
}

type Counts = Record<string, unknown>;
const n = (value: unknown) => (typeof value === "number" ? value : 0);

/** Each WP's tokens per model, summed over the imported events (per model where they say). */
function usageByWp(events: readonly Event[]): Record<string, Record<string, Usage>> {
  const out: Record<string, Record<string, Usage>> = {};
  for (const event of events) {
    const wp = `${event.aggregate_id}/${String(event.payload.wp_id)}`;
    const models = Array.isArray(event.payload.models)
      ? (event.payload.models as Counts[])
      : [event.payload as Counts];
    for (const m of models) {
      const byModel = out[wp] ?? {};
      out[wp] = byModel;
      const u = byModel[String(m.model)] ?? [0, 0, 0, 0, 0];
      byModel[String(m.model)] = u;
      u[0] += n(m.input_tokens);
      u[1] += n(m.cache_read_tokens);
      u[2] += n(m.cache_write_tokens);
      u[3] += n(m.cache_write_1h_tokens);
      u[4] += n(m.output_tokens);
    }
  }
  return out;
}

describe("import of the sessions the real CLIs wrote (fixtures), end to end", () => {
  it("Claude Code: each call on its WP, tokens per model as scripted, counted once", async () => {
    const { run, events, root } = await project("claude", "shop", "043-x");
    const first = await run();
    const imported = await events();
    expect(usageByWp(imported)).toEqual({
      // worktree (2 calls), resumed, forked: the copied history counted once.
      "043-x/WP01": {
        "claude-sonnet-4-5": [
          1_200 + 100 + 300 + 400 + 510 + 520,
          20_000 + 25_000 + 26_000 + 26_500 + 6_000 + 6_100,
          4_000 + 1_000 + 700,
          1_000,
          345 + 20 + 60 + 70 + 41 + 42,
        ],
      },
      // main-implement (by its command), moves' last call, the sub-agent's session.
      "043-x/WP02": {
        "claude-sonnet-4-5": [
          2_000 + 250 + 530 + 3_000 + 100,
          10_000 + 15_000 + 6_200 + 10_000 + 12_000,
          3_000 + 2_000,
          3_000 + 2_000,
          150 + 90 + 43 + 400 + 25,
        ],
        "claude-haiku-4-5-20251001": [5_000 + 5_100, 8_000, 8_000, 0, 900 + 120],
      },
      // moves' first call: in the main checkout, a turn naming both WPs of 043-x: that feature.
      "043-x/unattributed": { "claude-sonnet-4-5": [500, 0, 6_000, 0, 40] },
    });
    expect(first.agents[0]?.events).toBe(imported.length);
    // Again, and with the state deleted: nothing new.
    expect((await run()).agents[0]?.events).toBe(0);
    await rm(join(root, ".kittify", "import-state.json"));
    expect((await run()).agents[0]?.events).toBe(0);
    expect(await events()).toHaveLength(imported.length);
  });

  it("Codex: each response once (a sub-agent's in its parent turn), on its WP", async () => {
    const { run, events } = await project("codex", "repo", "042-demo");
    await run();
    const byWp = usageByWp(await events());
    expect(byWp).toEqual({
      "042-demo/WP01": { "gpt-5.1-codex": [1_450, 2_900, 0, 0, 120] },
      "042-demo/WP02": { "gpt-5.1-codex": [800, 0, 0, 0, 60] },
      "042-demo/WP03": {
        // The parent's four responses (spawn_agent's included), and the child's one.
        "gpt-5.1-codex": [600 + 200 + 100 + 50, 600 + 800 + 950, 0, 0, 30 + 20 + 15 + 12],
        "gpt-5.5": [70, 30, 0, 0, 7],
      },
      "000-unattributed/unattributed": { "gpt-5.5": [100, 900, 0, 0, 25] },
    });
  });

  it.each([
    ["gemini", "gemini-2.5-pro"],
    ["opencode", "e2e/gpt-5.1-codex"],
    ["copilot", "gpt-5.1-codex"],
  ])("%s: a session and its resume in a WP worktree, tokens as scripted", async (agent, model) => {
    const { run, events, root } = await project(agent, "project", "043-x");
    await run();
    expect(usageByWp(await events())).toEqual({
      "043-x/WP01": { [model]: [1_200 + 100 + 300, 20_000 + 25_000 + 26_000, 0, 0, 345 + 20 + 15] },
    });
    expect((await run()).agents[0]?.events).toBe(0);
    await rm(join(root, ".kittify", "import-state.json"));
    expect((await run()).agents[0]?.events).toBe(0);
  });

  it("a session orchestrate recorded is not imported again", async () => {
    const { run, events, root } = await project("claude", "shop", "043-x");
    const session = "24af6c44-bd3f-4a0d-8a1b-02b0cd945d96"; // the sub-agent run
    const line = {
      aggregate_id: "043-x",
      causation_id: null,
      event_id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
      event_type: "ExecutionEvent",
      lamport_clock: 1,
      node_id: "orchestrator:WP02",
      payload: {
        agent: "claude",
        role: "reviewer",
        wp_id: "WP02",
        session_id: session,
        source: "orchestrate",
        input_tokens: 1,
        output_tokens: 1,
        cost_usd: null,
        model: "claude-sonnet-4-5",
        duration_ms: 1,
        success: true,
        error: null,
        exit_code: 0,
      },
      timestamp: "2026-11-30T12:00:00+00:00",
    };
    await writeFile(
      join(root, "kitty-specs", "043-x", "execution.events.jsonl"),
      `${JSON.stringify(line)}\n`,
    );
    const summary = await run();
    expect(summary.agents[0]?.turns.orchestrated).toBe(1);
    const byWp = usageByWp(await events());
    expect(byWp["043-x/WP02"]?.["claude-haiku-4-5-20251001"]).toBeUndefined();
  });
});
