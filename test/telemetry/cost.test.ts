import { describe, expect, it } from "vitest";
import { createEvent, type Event } from "../../src/events/event.js";
import type { JsonObject } from "../../src/events/py-json.js";
import {
  CostAccumulator,
  costSummary,
  eventCost,
  parseGroupBy,
  type RateResolver,
  type TokenRates,
} from "../../src/telemetry/cost.js";
import { PAYLOAD_FIELDS } from "../../src/telemetry/execution-payload.js";
import { formatUsd, type PicoUsd, usdForJson } from "../../src/telemetry/money.js";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import { UsageRows, usageKind } from "../../src/telemetry/usage-rows.js";

// Pico-dollars per token: $3 / $15 / $0.30 / $3.75 per million tokens.
const SONNET: TokenRates = {
  input: 3_000_000,
  output: 15_000_000,
  cacheRead: 300_000,
  cacheWrite: 3_750_000,
  cacheWrite1h: 6_000_000,
};
const pricing: RateResolver = {
  resolve: (model) => (model === "sonnet" ? { rates: SONNET } : undefined),
};

let clock = 0;
function event(payload: JsonObject, feature = "001-a"): Event {
  clock++;
  return createEvent({
    event_id: `01KHJVJWDM0HGAGYGXJYKD${String(clock).padStart(4, "0")}`,
    event_type: "ExecutionEvent",
    aggregate_id: feature,
    payload: {
      wp_id: "WP01",
      agent: "claude",
      role: "implementer",
      model: "sonnet",
      input_tokens: null,
      output_tokens: null,
      cost_usd: null,
      ...payload,
    },
    timestamp: "2026-02-16T09:12:58+00:00",
    node_id: "cli:WP01",
    lamport_clock: clock,
  });
}

const usd = (pico: PicoUsd) => usdForJson(pico);

describe("costSummary", () => {
  it("keeps two-key groups apart when a value holds a comma", () => {
    const groups = costSummary(
      [event({ agent: "a,b", model: "c" }), event({ agent: "a", model: "b,c" })],
      "agent,model",
      pricing,
    );
    expect(groups.map((g) => [g.groupKey, g.groupValues, g.eventCount])).toEqual([
      ["a,b,c", ["a,b", "c"], 1],
      ["a,b,c", ["a", "b,c"], 1],
    ]);
  });

  it("uses a reported cost as is, 0.0 included, and estimates only a null cost", () => {
    const [group] = costSummary(
      [
        event({ cost_usd: 0.0, input_tokens: 1_000_000 }),
        event({ cost_usd: 1.25, input_tokens: 10 }),
        event({
          input_tokens: 1000,
          output_tokens: 2000,
          cache_read_tokens: 10_000,
          cache_write_tokens: 400,
        }),
      ],
      "agent",
      pricing,
    );
    // 1000 x $3/M + 2000 x $15/M + 10,000 x $0.30/M + 400 x $3.75/M = 0.003 + 0.03 + 0.003 + 0.0015
    expect(
      group && {
        ...group,
        totalCost: usd(group.totalCost),
        estimatedCost: usd(group.estimatedCost),
      },
    ).toEqual({
      groupKey: "claude",
      groupValues: ["claude"],
      groupBy: "agent",
      inputTokens: 1_001_010n,
      outputTokens: 2000n,
      cacheReadTokens: 10_000n,
      cacheWriteTokens: 400n,
      totalCost: 1.2875,
      estimatedCost: 0.0375,
      eventCount: 3,
      sharedEventCount: 0,
      unpricedEventCount: 0,
      unpricedModels: [],
      noUsageEventCount: 0,
      modelIds: [],
    });
  });

  it("counts an unknown or missing model as unpriced at $0, never silently", () => {
    const [group] = costSummary(
      [
        event({ model: "acme-coder-9", input_tokens: 5000 }),
        event({ model: null, input_tokens: 7 }),
        event({ model: "acme-coder-9", cost_usd: 0.5 }),
      ],
      "agent",
      pricing,
    );
    expect(group && [usd(group.totalCost), group.unpricedEventCount, group.unpricedModels]).toEqual(
      [0.5, 2, ["(no model)", "acme-coder-9"]],
    );
  });

  it("counts an event with neither tokens nor cost as no usage, apart from unpriced ones", () => {
    const [group] = costSummary(
      [
        event({}),
        event({ model: "acme-coder-9" }),
        event({ model: "acme-coder-9", output_tokens: 3 }),
      ],
      "agent",
      pricing,
    );
    expect(group && [group.noUsageEventCount, group.unpricedEventCount]).toEqual([2, 1]);
  });

  it("sums money exactly where floats drift: 0.1 reported a million times is 100,000.0", () => {
    const acc = new CostAccumulator(["agent"], pricing);
    const one = event({ cost_usd: 0.1 });
    for (let i = 0; i < 1_000_000; i++) acc.add(one);
    const [group] = acc.groups();
    expect(group && formatUsd(group.totalCost, 6)).toBe("100,000.000000");
  });

  it("keeps exactness past 2^53 pico-dollars (a $100,000 estimate from huge token counts)", () => {
    const [group] = costSummary(
      [event({ output_tokens: 6_666_666_667 }), event({ output_tokens: 1 })],
      "agent",
      pricing,
    );
    // 6,666,666,668 tokens x 15,000,000 pico = 100,000,000,020,000,000,000 pico
    expect(group && formatUsd(group.totalCost, 6)).toBe("100,000.000020");
  });

  it("groups missing values as unknown and sorts by cost descending, then key", () => {
    const groups = costSummary(
      [
        event({ agent: null, cost_usd: 1 }),
        event({ agent: "codex", cost_usd: 1 }),
        event({ agent: "gemini", cost_usd: 3 }),
        event({ agent: "aider", cost_usd: 1 }),
      ],
      "agent",
      pricing,
    );
    expect(groups.map((g) => [g.groupKey, usd(g.totalCost)])).toEqual([
      ["gemini", 3],
      ["aider", 1],
      ["codex", 1],
      ["unknown", 1],
    ]);
  });

  it.each<[string, string[]]>([
    ["feature", ["002-b", "001-a"]],
    ["wp", ["WP02", "WP01"]],
    ["role", ["reviewer", "implementer"]],
    ["model", ["sonnet", "unknown"]],
    ["agent,model", ["codex,sonnet", "claude,unknown"]],
    ["feature,wp", ["002-b,WP02", "001-a,WP01"]],
  ])("groups by %s", (groupBy, keys) => {
    const groups = costSummary(
      [
        event({ cost_usd: 1, model: null }),
        event({ cost_usd: 2, agent: "codex", role: "reviewer", wp_id: "WP02" }, "002-b"),
      ],
      groupBy,
      pricing,
    );
    expect(groups.map((g) => g.groupKey)).toEqual(keys);
  });
});

describe("parseGroupBy", () => {
  it.each(["", "agent,agent", "agent,model,role", "vendor", "agent;model"])(
    "refuses %j",
    (text) => {
      expect(() => parseGroupBy(text)).toThrow(/invalid --group-by/);
    },
  );

  it("accepts two keys with spaces around the comma", () => {
    expect(parseGroupBy("agent, model")).toEqual(["agent", "model"]);
  });
});

describe("eventCost", () => {
  it.each<[string, JsonObject, string, string]>([
    ["reported", { cost_usd: 15.6 }, "reported", "15.600000"],
    ["estimated", { input_tokens: 1_000_000 }, "estimated", "3.000000"],
    ["unpriced", { model: "nope", input_tokens: 1_000_000 }, "unpriced", "0.000000"],
    ["without usage", { model: "sonnet" }, "no-usage", "0.000000"],
  ])("%s", (_name, payload, kind, cost) => {
    const result = eventCost(event(payload), pricing);
    expect([result.kind, formatUsd(result.cost, 6)]).toEqual([kind, cost]);
  });
});

describe("one classification for an event and for the report's rows", () => {
  it.each<[string, JsonObject]>([
    ["reported", { cost_usd: 15.6, input_tokens: 10 }],
    ["reported 0.0", { cost_usd: 0, input_tokens: 10 }],
    ["estimated", { input_tokens: 1_000_000, cache_write_tokens: 7 }],
    ["estimated, cache only", { cache_read_tokens: 3 }],
    ["estimated, 1-hour writes", { cache_write_tokens: 100, cache_write_1h_tokens: 40 }],
    [
      "estimated, more 1-hour writes than writes",
      { cache_write_tokens: 10, cache_write_1h_tokens: 40 },
    ],
    ["estimated, a product past 2^53", { input_tokens: 2 ** 52, output_tokens: 3 }],
    ["unpriced", { model: "nope", input_tokens: 1_000_000 }],
    ["unpriced, no model", { model: null, output_tokens: 5 }],
    ["unpriced, empty model", { model: "", output_tokens: 5 }],
    ["without usage", { model: "sonnet", reasoning_tokens: 9 }],
  ])("%s: eventCost agrees with the report's group of that one event", (_, payload) => {
    const one = event(payload);
    const { cost, kind } = eventCost(one, pricing);
    const [group] = costSummary([one], "agent", pricing);
    const counted = {
      reported: group?.totalCost === cost && group.estimatedCost === 0n,
      estimated: group?.estimatedCost === cost && group.totalCost === cost,
      unpriced: group?.unpricedEventCount === 1 && group.totalCost === 0n,
      "no-usage": group?.noUsageEventCount === 1 && group.totalCost === 0n,
    };
    expect(counted[kind]).toBe(true);
  });
});

describe("eventCost of per-model usage (priced part by part, no row made)", () => {
  // Sonnet with a long-context tier past 200k tokens; "haiku" at its own rates; "nope" unpriced.
  const tiered: RateResolver = {
    resolve: (model) =>
      model === "sonnet"
        ? {
            rates: SONNET,
            tiers: [{ aboveTokens: 200_000, rates: { ...SONNET, input: 6_000_000 } }],
          }
        : model === "haiku"
          ? { rates: { ...SONNET, input: 1_000_000, output: 5_000_000 } }
          : undefined,
  };
  const part = (model: string, usage: JsonObject): JsonObject => ({ model, ...usage });
  it.each<[string, JsonObject[], string]>([
    [
      "two models",
      [
        part("sonnet", { input_tokens: 1000, output_tokens: 7 }),
        part("haiku", { input_tokens: 50 }),
      ],
      "estimated",
    ],
    [
      "one model twice",
      [
        part("sonnet", { input_tokens: 9 }),
        part("sonnet", { cache_write_tokens: 100, cache_write_1h_tokens: 40 }),
      ],
      "estimated",
    ],
    [
      "long context",
      [
        part("sonnet", {
          input_tokens: 300_000,
          long_context: [{ above_tokens: 200_000, input_tokens: 250_000 }],
        }),
        part("haiku", { output_tokens: 3 }),
      ],
      "estimated",
    ],
    [
      "a product past 2^53",
      [part("sonnet", { input_tokens: 2 ** 52 }), part("haiku", { input_tokens: 1 })],
      "estimated",
    ],
    [
      "a sum past 2^53",
      [part("sonnet", { input_tokens: 2 ** 40 }), part("sonnet", { output_tokens: 2 ** 40 })],
      "estimated",
    ],
    [
      "one part unpriced",
      [part("sonnet", { input_tokens: 1000 }), part("nope", { input_tokens: 5 })],
      "unpriced",
    ],
  ])("%s: the sum of its models' estimates in the report", (_, models, kind) => {
    const one = event({ model: "sonnet", models });
    const result = eventCost(one, tiered);
    const groups = costSummary([one], "model", tiered);
    const estimated = groups.reduce((sum, g) => sum + g.estimatedCost, 0n);
    expect([result.kind, result.cost]).toEqual([kind, estimated]);
  });
});

describe("token sums past 2^53", () => {
  const big = Number.MAX_SAFE_INTEGER;

  it("sums tokens exactly and estimates their cost exactly", () => {
    const [group] = costSummary(
      [event({ input_tokens: big }), event({ input_tokens: big }), event({ input_tokens: 1 })],
      "agent",
      pricing,
    );
    const tokens = 2n * BigInt(big) + 1n; // 2^54 - 1: a double sum gives 2^54
    expect([group?.inputTokens, group?.estimatedCost]).toEqual([tokens, tokens * 3_000_000n]);
  });

  it("keeps the sums exact through the rows' JSON (a worker's message, the cache)", () => {
    const rows = new UsageRows();
    for (let i = 0; i < 3; i++)
      rows.add(new EventFields().fromEvent(event({ output_tokens: big })));
    const copy = new UsageRows();
    expect(copy.addJSON(JSON.parse(JSON.stringify(rows)))).toBe(true);
    const acc = new CostAccumulator(["agent"], pricing);
    for (const row of copy) acc.addRow(row);
    expect(acc.groups()[0]?.outputTokens).toBe(3n * BigInt(big));
  });
});

describe("usageKind follows the payload's definition", () => {
  const billed = PAYLOAD_FIELDS.filter((f) => f.kind === "tokens" && "report" in f);
  it.each(billed.map((f) => [f.name] as const))(
    "an event with only %s is estimated from its tokens",
    (name) => {
      const fields = new EventFields().fromEvent(event({ [name]: 0 }));
      expect(usageKind(fields)).toBe("tokens");
    },
  );

  it("an event with no billed token field and no cost has no usage", () => {
    const unbilled = PAYLOAD_FIELDS.filter((f) => f.kind === "tokens" && !("report" in f));
    const payload = Object.fromEntries(unbilled.map((f) => [f.name, 5]));
    expect(usageKind(new EventFields().fromEvent(event(payload)))).toBe("no-usage");
  });
});
