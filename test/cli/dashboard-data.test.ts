import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardData, MAX_PERIODS } from "../../src/cli/dashboard-data.js";
import { eventCost } from "../../src/telemetry/cost.js";
import { EVENT_LOG_FILE, emitExecutionEvents } from "../../src/telemetry/emit.js";
import { listEvents } from "../../src/telemetry/event-listing.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { parseFilter } from "../../src/telemetry/query.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";
import { eventLine, writeVariedLog } from "../support/varied-log.js";

type Doc = { rows: { group: Record<string, string>; event_count: number; cost_usd: string }[] };
type Data = Record<string, Doc> & {
  period: string;
  outcomes: { feature: string; wp: string; invocations: number; cost_usd: string }[];
  top_invocations: { event_id: string; cost_usd: string }[];
  budgets: { scope: string; name: string | null; spent_usd: string }[];
};

/** The page's data as `dashboardData` makes it, read with `threads` (tiny ranges: many of them). */
async function dataOf(
  root: string,
  threads: number,
  scope: { feature?: string; agent?: string; since?: string } = {},
): Promise<Data> {
  const data = await dashboardData({
    repoRoot: root,
    feature: scope.feature,
    filter: parseFilter({ agent: scope.agent, since: scope.since }),
    timeZone: "UTC",
    period: "auto",
    stack: "agent",
    top: 10,
    nowMs: Date.UTC(2026, 8, 2), // the month of the varied logs
    pricing: await loadPricingTable(root),
    warn: () => undefined,
    threads,
    minRangeBytes: 64 << 10,
  });
  return JSON.parse(JSON.stringify(data, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
}

/** `cost --format json` of the project, without its warnings. */
async function costJson(root: string, groupBy: string): Promise<Doc> {
  const run = await runSpecKitty([
    "agent",
    "telemetry",
    "cost",
    "--repo",
    root,
    "-g",
    groupBy,
    "--format",
    "json",
  ]);
  const { warnings, ...doc } = JSON.parse(run.stdout) as Doc & { warnings: unknown };
  return doc as Doc;
}

const withoutWarnings = ({ warnings, ...doc }: Doc & { warnings?: unknown }) => doc;

describe("dashboardData: one read of the logs", () => {
  it("gives in worker threads, range by range, what one thread gives, and the report's figures", async () => {
    const root = await tempDir();
    // Awkward lines of every kind (repeated, torn, invalid, other event types), two logs.
    await writeVariedLog(root, "001-alpha", 3_000, { bom: true });
    await writeVariedLog(root, "002-beta", 2_000, { unterminated: true });
    const [threaded, single] = [await dataOf(root, 2), await dataOf(root, 1)];
    expect(threaded).toEqual(single);
    for (const [key, groupBy] of [
      ["by_agent", "agent"],
      ["by_model", "model"],
      ["by_feature", "feature"],
      ["by_wp", "wp"],
      ["over_time", `${threaded.period},agent`],
    ] as const) {
      expect(withoutWarnings(threaded[key] as Doc), key).toEqual(await costJson(root, groupBy));
    }
    // The costliest invocations, costliest first then by id, as costing every event gives them.
    const pricing = await loadPricingTable(root);
    const { events } = await listEvents({ repoRoot: root, warn: () => undefined });
    const costed = events.map((e) => ({ id: e.event_id, cost: eventCost(e, pricing).cost }));
    costed.sort((a, b) =>
      a.cost !== b.cost ? (a.cost > b.cost ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    expect(threaded.top_invocations.map((t) => t.event_id)).toEqual(
      costed.slice(0, 10).map((c) => c.id),
    );
  }, 120_000);

  it("reads the work packages' attempts range by range as from the log's lines in clock order", async () => {
    // Lines in clock order, read in tiny ranges by two threads; then the same lines backwards
    // (not in clock order: the log is read again and its invocations sorted).
    const [ordered, backwards] = [await tempDir(), await tempDir()];
    const lines = Array.from({ length: 3_000 }, (_, i) => eventLine(i + 1, "001-alpha"));
    for (const [root, text] of [
      [ordered, lines],
      [backwards, [...lines].reverse()],
    ] as const) {
      await mkdir(join(root, "kitty-specs", "001-alpha"), { recursive: true });
      await writeFile(
        join(root, "kitty-specs", "001-alpha", EVENT_LOG_FILE),
        `${text.join("\n")}\n`,
      );
    }
    const outcomes = (await dataOf(ordered, 2)).outcomes;
    expect(outcomes.length).toBeGreaterThan(1);
    expect(outcomes).toEqual((await dataOf(backwards, 1)).outcomes);
  }, 60_000);

  it("counts execution events only in the work packages' invocations, as `cost --group-by wp`", async () => {
    const root = await tempDir();
    // 3% of these lines are WPStatusChanged events that carry a wp_id.
    await writeVariedLog(root, "001-alpha", 2_000);
    const data = await dataOf(root, 1);
    const byWp = await costJson(root, "wp");
    expect(data.outcomes.map((o) => [`${o.feature}/${o.wp}`, o.invocations, o.cost_usd])).toEqual(
      byWp.rows
        .map((r) => [r.group.wp, r.event_count, r.cost_usd])
        .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    );
  }, 60_000);

  it.each([
    ["a feature", { feature: "002-beta" }],
    ["an agent", { agent: "claude" }],
  ] as const)(
    "shows budgets over every event, filtered by %s or not",
    async (_, scope) => {
      const root = await tempDir();
      await writeVariedLog(root, "001-alpha", 1_500);
      await writeVariedLog(root, "002-beta", 1_000);
      await mkdir(join(root, ".kittify"), { recursive: true });
      await writeFile(
        join(root, ".kittify", "budgets.yaml"),
        "project: 100\nmonthly: 50\nfeatures:\n  002-beta: 10\n",
      );
      const all = await dataOf(root, 1);
      expect(all.budgets.map((b) => b.scope)).toEqual(["project", "monthly", "feature"]);
      expect(all.budgets.every((b) => b.spent_usd !== "0.00")).toBe(true);
      expect((await dataOf(root, 1, scope)).budgets).toEqual(all.budgets);
    },
    60_000,
  );

  it.each([
    // Days with events, how they are laid out in the log, the unit of cost over time.
    [60, "in time order", "day"],
    [400, "in time order", "week"],
    [1_500, "in time order", "month"],
    // The first and last lines are a day apart: the rows coarsen as the days come.
    [400, "first and last lines a day apart", "week"],
    [1_500, "first and last lines a day apart", "month"],
  ] as const)(
    "%i days of history (%s): cost over time by %s, as `cost --format json`",
    async (days, layout, unit) => {
      const root = await tempDir();
      const start = Date.UTC(2024, 0, 1);
      const order = Array.from({ length: days }, (_, d) => d);
      // Out of order: the last day first, then the others (the day before the last one last).
      if (layout !== "in time order") order.unshift(...order.splice(days - 1, 1));
      await emitExecutionEvents(
        join(root, "kitty-specs", "001-alpha"),
        "001-alpha",
        order.map((d) => ({
          wpId: `WP0${1 + (d % 3)}`,
          agent: d % 2 === 0 ? "claude" : "codex",
          role: "implementer" as const,
          options: {
            timestamp: new Date(start + d * 86_400_000).toISOString(),
            costUsd: 0.01 * (1 + (d % 7)),
          },
        })),
        () => undefined,
      );
      const data = await dataOf(root, 1);
      expect(data.period).toBe(unit);
      const overTime = data.over_time as Doc;
      expect(new Set(overTime.rows.map((r) => r.group[unit])).size).toBeLessThanOrEqual(
        MAX_PERIODS,
      );
      expect(withoutWarnings(overTime)).toEqual(await costJson(root, `${unit},agent`));
    },
    60_000,
  );

  it("shows the last 60 days of a long history by day", async () => {
    const root = await tempDir();
    const start = Date.UTC(2020, 0, 1);
    await emitExecutionEvents(
      join(root, "kitty-specs", "001-alpha"),
      "001-alpha",
      Array.from({ length: 1_500 }, (_, d) => ({
        wpId: "WP01",
        agent: "claude",
        role: "implementer" as const,
        options: { timestamp: new Date(start + d * 86_400_000).toISOString(), costUsd: 0.01 },
      })),
      () => undefined,
    );
    const since = new Date(start + 1_440 * 86_400_000).toISOString().slice(0, 10);
    const data = await dataOf(root, 1, { since });
    expect(data.period).toBe("day");
    const run = await runSpecKitty([
      ...["agent", "telemetry", "cost", "--repo", root, "-g", "day,agent", "--since", since],
      ...["--format", "json"],
    ]);
    const { warnings, ...doc } = JSON.parse(run.stdout) as Doc & { warnings: unknown };
    expect((data.over_time as Doc).rows.length).toBe(60);
    expect(withoutWarnings(data.over_time as Doc)).toEqual(doc);
  }, 60_000);

  it("writes a page whose size does not grow with the days of history", async () => {
    const root = await tempDir();
    const start = Date.UTC(2020, 0, 1);
    await emitExecutionEvents(
      join(root, "kitty-specs", "001-alpha"),
      "001-alpha",
      Array.from({ length: 2_000 }, (_, d) => ({
        wpId: "WP01",
        agent: "claude",
        role: "implementer" as const,
        options: { timestamp: new Date(start + d * 86_400_000).toISOString(), costUsd: 0.01 },
      })),
      () => undefined,
    );
    const out = join(root, "page.html");
    const run = await runSpecKitty([
      "agent",
      "telemetry",
      "dashboard",
      "--repo",
      root,
      "--out",
      out,
    ]);
    expect(run.exitCode).toBe(0);
    const html = await readFile(out, "utf8");
    const data = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(html);
    // 2,000 days in 66 months: the time series holds 66 periods, not 2,000 days.
    expect((JSON.parse(data?.[1] ?? "null") as Data).over_time?.rows.length).toBe(66);
  }, 60_000);
});
