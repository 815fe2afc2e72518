import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CostAccumulator, type CostGroup, eventCost } from "../../src/telemetry/cost.js";
import {
  type EmitModelUsage,
  type EmitOptions,
  type EmitRequestUsage,
  emitExecutionEvent,
} from "../../src/telemetry/emit.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { parsePricingTable } from "../../src/telemetry/pricing-file.js";
import { streamProjectEvents } from "../../src/telemetry/query.js";
import { costReport } from "../../src/telemetry/report.js";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import { scanLine } from "../../src/telemetry/scan/line-scanner.js";
import type { TelemetryWarning } from "../../src/telemetry/warnings.js";
import { tempDir } from "../support/temp-project.js";

const FEATURE = "043-per-model";

const zero: EmitRequestUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  reasoningTokens: 0,
};

function usage(
  model: string,
  counts: Partial<EmitRequestUsage>,
  more: { costUsd?: number; requests?: Partial<EmitRequestUsage>[] } = {},
): EmitModelUsage {
  return {
    ...zero,
    ...counts,
    model,
    costUsd: more.costUsd ?? null,
    ...(more.requests && { requests: more.requests.map((r) => ({ ...zero, ...r })) }),
  };
}

/** A project whose feature holds one event per `runs` item, emitted as the orchestrator does. */
async function project(runs: readonly EmitOptions[]) {
  const root = await tempDir();
  const warnings: TelemetryWarning[] = [];
  const dir = join(root, "kitty-specs", FEATURE);
  for (const options of runs) {
    await emitExecutionEvent(dir, FEATURE, "WP01", "claude", "implementer", {
      source: "orchestrate",
      ...options,
      warn: (w) => warnings.push(w),
    });
  }
  return { root, warnings, log: join(dir, "execution.events.jsonl") };
}

/** The report's groups, read with and without the cache, and from the events one by one. */
async function report(root: string, groupBy: string): Promise<CostGroup[]> {
  const pricing = await loadPricingTable(root, { warn: () => undefined });
  const scope = { repoRoot: root, warn: () => undefined };
  const [cold, warm, uncached] = [
    await costReport(scope, groupBy, pricing, { threads: 1 }),
    await costReport(scope, groupBy, pricing, { threads: 1 }),
    await costReport(scope, groupBy, pricing, { cache: false, threads: 1 }),
  ];
  const acc = new CostAccumulator(groupBy === "model" ? ["model"] : ["agent"], pricing);
  for await (const event of streamProjectEvents(root, {}, { warn: () => undefined })) {
    acc.add(event);
  }
  expect([cold.groups, warm.groups, uncached.groups]).toEqual([
    acc.groups(),
    acc.groups(),
    acc.groups(),
  ]);
  return acc.groups();
}

const costs = (groups: readonly CostGroup[]) =>
  groups.map((g) => ({
    key: g.groupKey,
    total: g.totalCost,
    estimated: g.estimatedCost,
    events: g.eventCount,
    shared: g.sharedEventCount,
  }));

describe("each model priced at its own rates", () => {
  // Shipped rates, pico-dollars per token: sonnet 4.5 in 3,000,000, out 15,000,000, cache read
  // 300,000, 5-minute write 3,750,000, 1-hour write 6,000,000; haiku 4.5 in 1,000,000, out 5,000,000.
  it("the REAL-AGENTS figure: 1-hour writes at the 1-hour rate make exactly $0.035775", async () => {
    // 1,200 x 3e6 + 345 x 15e6 + 20,000 x 3e5 + 4,000 x 3.75e6 + 1,000 x 6e6
    // = 3.6e9 + 5.175e9 + 6e9 + 15e9 + 6e9 = 35.775e9 pico-dollars.
    const counts = {
      inputTokens: 1200,
      outputTokens: 345,
      cacheReadTokens: 20_000,
      cacheWriteTokens: 5000,
      cacheWrite1hTokens: 1000,
    };
    const { root } = await project([
      { model: "claude-sonnet-4-5", ...counts },
      { models: [usage("claude-sonnet-4-5", counts)] },
    ]);
    expect(costs(await report(root, "model"))).toEqual([
      {
        key: "claude-sonnet-4-5",
        total: 71_550_000_000n,
        estimated: 71_550_000_000n,
        events: 2,
        shared: 0,
      },
    ]);
  });

  it("two models in one event: each at its own rates, -g model splits, other groupings keep it whole", async () => {
    // sonnet: 10,000 x 3e6 + 2,000 x 15e6 = 60e9; haiku: 5,000 x 1e6 + 1,000 x 5e6 = 10e9.
    // At sonnet's rates alone the event would cost 15,000 x 3e6 + 3,000 x 15e6 = 90e9.
    const { root, warnings } = await project([
      {
        model: "claude-sonnet-4-5",
        models: [
          usage("claude-sonnet-4-5", { inputTokens: 10_000, outputTokens: 2000 }),
          usage("claude-haiku-4-5", { inputTokens: 5000, outputTokens: 1000 }),
        ],
      },
    ]);
    const byModel = await report(root, "model");
    expect([costs(byModel), costs(await report(root, "agent")), warnings]).toEqual([
      [
        {
          key: "claude-sonnet-4-5",
          total: 60_000_000_000n,
          estimated: 60_000_000_000n,
          events: 1,
          shared: 0,
        },
        {
          key: "claude-haiku-4-5",
          total: 10_000_000_000n,
          estimated: 10_000_000_000n,
          events: 1,
          shared: 1,
        },
      ],
      [{ key: "claude", total: 70_000_000_000n, estimated: 70_000_000_000n, events: 1, shared: 0 }],
      [],
    ]);
    expect(byModel.map((g) => [g.inputTokens, g.outputTokens])).toEqual([
      [10_000n, 2000n],
      [5000n, 1000n],
    ]);
  });

  it.each([
    // Every model gave its cost: each is credited its own, the main one the rest of the total.
    ["every model's own cost", 0.04, 0.01, [40_000_000_000n, 10_000_000_000n]],
    // A model without a cost of its own: the total cannot be split without prices.
    ["a model without its own cost", 0.04, undefined, [50_000_000_000n, 0n]],
    // Figures that exceed the total: the main model keeps it all.
    ["other models' costs above the total", 0.04, 0.06, [50_000_000_000n, 0n]],
  ])("a reported total with %s", async (_, sonnetCost, haikuCost, shares) => {
    const { root } = await project([
      {
        model: "claude-sonnet-4-5",
        costUsd: 0.05,
        models: [
          usage("claude-sonnet-4-5", { inputTokens: 10_000 }, { costUsd: sonnetCost }),
          usage(
            "claude-haiku-4-5",
            { inputTokens: 5000 },
            haikuCost === undefined ? {} : { costUsd: haikuCost },
          ),
        ],
      },
    ]);
    const byModel = await report(root, "model");
    const total = byModel.reduce((n, g) => n + g.totalCost, 0n);
    expect([byModel.map((g) => [g.groupKey, g.totalCost]), total]).toEqual([
      [
        ["claude-sonnet-4-5", shares[0]],
        ["claude-haiku-4-5", shares[1]],
      ],
      50_000_000_000n,
    ]);
  });

  it("a long-context tier applies to the requests above its threshold only", async () => {
    // Requests: 150,000 in / 500 out (base rates), 250,000 in / 1,000 out (above 200k: sonnet
    // 4.5's tier, in 6,000,000 and out 22,500,000 pico per token).
    // 150,000 x 3e6 + 500 x 15e6 = 457.5e9; 250,000 x 6e6 + 1,000 x 22.5e6 = 1,522.5e9.
    const requests = [
      { inputTokens: 150_000, outputTokens: 500 },
      { inputTokens: 250_000, outputTokens: 1000 },
    ];
    const { root, log } = await project([
      {
        models: [
          usage("claude-sonnet-4-5", { inputTokens: 400_000, outputTokens: 1500 }, { requests }),
        ],
      },
    ]);
    const line = (await readFile(log, "utf8")).trim();
    expect(JSON.parse(line).payload.models[0].long_context).toEqual([
      {
        above_tokens: 128_000,
        input_tokens: 400_000,
        output_tokens: 1500,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cache_write_1h_tokens: 0,
      },
      {
        above_tokens: 200_000,
        input_tokens: 250_000,
        output_tokens: 1000,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cache_write_1h_tokens: 0,
      },
    ]);
    expect(costs(await report(root, "model"))).toEqual([
      {
        key: "claude-sonnet-4-5",
        total: 1_980_000_000_000n,
        estimated: 1_980_000_000_000n,
        events: 1,
        shared: 0,
      },
    ]);
  });

  it("a tier at a threshold events do not record is never applied, and the file says so", () => {
    const warnings: string[] = [];
    const yaml =
      "models:\n  m:\n    input_per_1k: 0.001\n    output_per_1k: 0.002\n    tiers:\n      - {above_tokens: 100000, input_per_1k: 0.5, output_per_1k: 0.5}\n";
    const table = parsePricingTable(yaml, "p.yaml", (w) => warnings.push(w.message));
    expect([table?.resolve("m")?.tiers.length, warnings]).toEqual([
      1,
      [
        'p.yaml:6:24: model "m": events record long-context usage above 128000, 200000, 272000 tokens only; the tier above 100000 is never applied',
      ],
    ]);
  });

  it.each([
    ["absent: 2x input", "", 2_000_000],
    ["given", "    cache_write_1h_per_1k: 0.0015\n", 1_500_000],
  ])("a 1-hour write rate %s", (_, line, rate) => {
    const yaml = `models:\n  m:\n    input_per_1k: 0.001\n    output_per_1k: 0.002\n    cache_write_per_1k: 0.00125\n${line}`;
    expect(parsePricingTable(yaml, "p.yaml", () => undefined)?.resolve("m")?.rates).toEqual({
      input: 1_000_000,
      output: 2_000_000,
      cacheRead: 1_000_000,
      cacheWrite: 1_250_000,
      cacheWrite1h: rate,
    });
  });
});

describe("recording per-model usage", () => {
  it("records the models' sums as the totals, warns of a total that differs, keeps an untrusted cost apart", async () => {
    const { log, warnings } = await project([
      {
        inputTokens: 999,
        untrustedCostUsd: 0.0021,
        models: [
          usage("claude-sonnet-4-5", {
            inputTokens: 100,
            cacheWriteTokens: 50,
            cacheWrite1hTokens: 20,
          }),
          usage("claude-haiku-4-5", { inputTokens: 10, outputTokens: 5 }),
        ],
      },
    ]);
    const payload = JSON.parse((await readFile(log, "utf8")).trim()).payload;
    expect({
      model: payload.model,
      input: payload.input_tokens,
      output: payload.output_tokens,
      write: payload.cache_write_tokens,
      write1h: payload.cache_write_1h_tokens,
      untrusted: payload.untrusted_cost_usd,
      cost: payload.cost_usd,
      source: payload.source,
      warnings: warnings.map((w) => [w.code, w.message.replace(/^.*\(/, "(")]),
    }).toEqual({
      model: "claude-sonnet-4-5",
      input: 110,
      output: 5,
      write: 50,
      write1h: 20,
      untrusted: 0.0021,
      cost: null,
      source: "orchestrate",
      warnings: [["EMIT_USAGE_MISMATCH", "(input 999 vs 110); the models' sums are recorded"]],
    });
  });

  it.each([
    ["1-hour writes above the writes", { cacheWriteTokens: 5, cacheWrite1hTokens: 6 }],
    ["a model's negative count", { models: [usage("m", { inputTokens: -1 })] }],
    ["a model without an id", { models: [usage(" ", {})] }],
    ["a model given twice", { models: [usage("m", {}), usage("m", {})] }],
    ["an unknown source", { source: "elsewhere" as "emit" }],
  ])("refuses %s with one warning and writes nothing", async (_, options) => {
    const { warnings, log } = await project([options]);
    const written = await readFile(log, "utf8").catch(() => "");
    expect([warnings.map((w) => w.code), written]).toEqual([["EMIT_FAILED"], ""]);
  });

  it("writes lines that the Python reader reads, re-dumps identically and sums as the totals", async () => {
    const { log } = await project([
      {
        costUsd: 15,
        untrustedCostUsd: 1,
        attribution: "lane-window",
        models: [
          usage(
            "claude-sonnet-4-5",
            { inputTokens: 300_000, cacheWriteTokens: 9, cacheWrite1hTokens: 4 },
            {
              costUsd: 12,
              requests: [{ inputTokens: 300_000, cacheWriteTokens: 9, cacheWrite1hTokens: 4 }],
            },
          ),
          usage("claude-haiku-4-5", { inputTokens: 7, outputTokens: 3 }, { costUsd: 3 }),
        ],
      },
      { cacheWriteTokens: 10, cacheWrite1hTokens: 10, inputTokens: 1 },
    ]);
    const check = [
      "import json, sys",
      "for line in open(sys.argv[1], encoding='utf-8'):",
      "    line = line.rstrip('\\n'); e = json.loads(line); p = e['payload']",
      "    assert json.dumps(e, sort_keys=True) == line, line",
      "    assert type(p['input_tokens']) is int and p['source'] == 'orchestrate'",
      "    for m in p.get('models', []):",
      "        assert type(m['cost_usd']) is float and type(m['cache_write_1h_tokens']) is int",
      "    for k in ('input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_write_1h_tokens'):",
      "        assert 'models' not in p or p[k] == sum(m[k] for m in p['models']), k",
      "    assert p.get('cache_write_1h_tokens', 0) <= p.get('cache_write_tokens', 0)",
      "attributions = [json.loads(l)['payload'].get('attribution') for l in open(sys.argv[1])]",
      "assert attributions == ['lane-window', None], attributions",
      "print('ok')",
    ].join("\n");
    expect(execFileSync("python3", ["-c", check, log], { encoding: "utf8" }).trim()).toBe("ok");
    // And the fast scanner reads those lines itself, as the full parse does.
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    const accepted = lines.map((line) => {
      const fields = new EventFields();
      const bytes = Buffer.from(line);
      return scanLine(bytes, 0, bytes.length, fields) ? fields.modelCount : -1;
    });
    expect(accepted).toEqual([2, 0]);
  });

  it("eventCost prices each model at its own rates, as the report does", async () => {
    const { root } = await project([
      {
        models: [
          usage("claude-sonnet-4-5", { inputTokens: 10_000, outputTokens: 2000 }),
          usage("claude-haiku-4-5", { inputTokens: 5000, outputTokens: 1000 }),
        ],
      },
      {
        models: [
          usage("claude-sonnet-4-5", { inputTokens: 1 }),
          usage("acme-unknown", { inputTokens: 1 }),
        ],
      },
    ]);
    const pricing = await loadPricingTable(root, { warn: () => undefined });
    const results = [];
    for await (const event of streamProjectEvents(root, {}, { warn: () => undefined })) {
      results.push(eventCost(event, pricing));
    }
    expect(results).toEqual([
      { cost: 70_000_000_000n, kind: "estimated" },
      { cost: 3_000_000n, kind: "unpriced" },
    ]);
  });
});
