import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitExecutionEvent } from "../../src/telemetry/emit.js";
import { runSpecKitty } from "../support/run-cli.js";
import { tempDir } from "../support/temp-project.js";

const snapshot = (name: string) => join(import.meta.dirname, "__snapshots__", "pricing", name);
const pricing = (...args: string[]) => ["agent", "telemetry", "pricing", ...args];
const SNAPSHOT = join(import.meta.dirname, "..", "fixtures", "pricing", "litellm-snapshot.json");
const NOW = Date.parse("2026-11-30T12:00:00Z");

function transcript(run: { stdout: string; stderr: string; exitCode: number }): string {
  return `${run.stdout}--- stderr ---\n${run.stderr}--- exit ${run.exitCode} ---\n`;
}

/** Every line fits, and every boxed row starts with a filled first cell (none split in two). */
function expectFits(stdout: string, columns: number): void {
  const lines = stdout.trimEnd().split("\n");
  expect(lines.filter((line) => [...line].length > columns)).toEqual([]);
  expect(lines.filter((line) => /^│ +│/.test(line))).toEqual([]);
}

/** A project with the snapshot copied in, and `.kittify/pricing.yaml` holding `override`. */
async function project(override?: string): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, "kitty-specs"), { recursive: true });
  await copyFile(SNAPSHOT, join(root, "prices.json"));
  if (override !== undefined) {
    await mkdir(join(root, ".kittify"), { recursive: true });
    await writeFile(join(root, ".kittify", "pricing.yaml"), override);
  }
  return root;
}

const overrideOf = (root: string) => readFile(join(root, ".kittify", "pricing.yaml"), "utf8");
const exists = (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

const USER_OVERRIDE = `# Our negotiated prices; keep this comment.
models:
  # the team's contract rate
  claude-sonnet-4-5:
    input_per_1k: 0.002
    output_per_1k: 0.01
  my-local-model: {input_per_1k: 0, output_per_1k: 0}
`;

describe("pricing show", () => {
  it.each([60, 80, 100, 160])("lists every model at %i columns, fitting", async (columns) => {
    const run = await runSpecKitty(pricing("show"), { cwd: await project(USER_OVERRIDE), columns });
    expect([run.exitCode, run.stderr]).toEqual([0, ""]);
    expectFits(run.stdout, columns);
    await expect(run.stdout).toMatchFileSnapshot(snapshot(`show-${columns}.txt`));
  });

  it("says for each row where it comes from: shipped, the override, an alias of a model", async () => {
    const run = await runSpecKitty(pricing("show", "--json"), {
      cwd: await project(USER_OVERRIDE),
    });
    const rows = JSON.parse(run.stdout) as { model: string; alias_of: string | null }[];
    const pick = (model: string) => rows.find((r) => r.model === model);
    expect([
      pick("claude-opus-4-6"),
      pick("claude-sonnet-4-5"),
      pick("claude-sonnet-4-5-20250929"),
      pick("claude-3-5-sonnet-latest"),
    ]).toMatchObject([
      { origin: "shipped", effective: "2026-07-18", alias_of: null },
      {
        origin: "override",
        file: expect.stringMatching(/\.kittify\/pricing\.yaml$/),
        source: null,
      },
      // The override took claude-sonnet-4-5 and so the shipped entry with its aliases: the dated
      // id now prices as the override's entry, without a date (see MODEL (override-dated)).
      undefined,
      { origin: "shipped", alias_of: "claude-3-5-sonnet-20241022" },
    ]);
  });

  it.each<[string, string]>([
    ["exact", "claude-opus-4-6"],
    ["alias", "claude-3-5-sonnet-latest"],
    ["normalised", "anthropic/claude-sonnet-4.5"],
    ["dateless", "gpt-5.2-codex-2026-01-01"],
    ["override", "claude-sonnet-4-5"],
    ["override-dated", "claude-sonnet-4-5-20250929"],
    ["unpriced", "gpt-4o"],
    ["unpriced-far", "llama-3"],
  ])("MODEL (%s): how it resolves and its rates", async (name, model) => {
    const run = await runSpecKitty(pricing("show", model), {
      cwd: await project(USER_OVERRIDE),
      columns: 100,
    });
    await expect(
      transcript(run).replaceAll(
        run.stdout.match(/\/\S*\.kittify/)?.[0] ?? "\0",
        "<root>/.kittify",
      ),
    ).toMatchFileSnapshot(snapshot(`show-model-${name}.txt`));
  });

  it.each<[string, string, string | null, string | null]>([
    ["claude-opus-4.6", "normalised", "claude-opus-4-6", "shipped"],
    ["claude-opus-4", "dateless", "claude-opus-4-20250514", "shipped"],
    ["claude-opus-5", "unpriced", null, null],
    ["claude-sonnet-4-5", "exact", "claude-sonnet-4-5", "override"],
  ])("--json %s: match %s, priced as %s (%s)", async (model, match, pricedAs, origin) => {
    const run = await runSpecKitty(pricing("show", model, "--json"), {
      cwd: await project(USER_OVERRIDE),
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ model, match, priced_as: pricedAs, origin });
  });

  it("gives rates in pricing.yaml's unit, USD per 1k tokens, tiers included", async () => {
    const run = await runSpecKitty(pricing("show", "claude-sonnet-4-5", "--json"));
    expect(JSON.parse(run.stdout)).toMatchObject({
      rates: { input_per_1k: 0.003, output_per_1k: 0.015, cache_read_per_1k: 0.0003 },
      tiers: [{ above_tokens: 200_000, input_per_1k: 0.006, output_per_1k: 0.0225 }],
    });
  });

  it("works outside a project (the shipped table), but --repo must be a project", async () => {
    const outside = await tempDir();
    const ok = await runSpecKitty(pricing("show", "gpt-5"), { cwd: outside });
    const bad = await runSpecKitty(pricing("show", "--repo", "."), { cwd: outside });
    expect([ok.exitCode, ok.stdout.split("\n")[0], bad.exitCode, bad.stderr]).toEqual([
      0,
      "gpt-5 is priced as gpt-5",
      1,
      expect.stringMatching(/^spec-kitty: --repo \.: not a spec-kitty project/),
    ]);
  });
});

describe("pricing update", () => {
  it("shows the plan and writes nothing with --dry-run or without --yes", async () => {
    const root = await project();
    const dry = await runSpecKitty(pricing("update", "--from", "prices.json", "--dry-run"), {
      cwd: root,
    });
    const noYes = await runSpecKitty(pricing("update", "--from", "prices.json"), { cwd: root });
    await expect(transcript(dry)).toMatchFileSnapshot(snapshot("update-dry-run.txt"));
    expect([
      dry.exitCode,
      noYes.exitCode,
      noYes.stdout.replace(dry.stdout.replace(/Nothing written.*\n$/, ""), ""),
      await exists(join(root, ".kittify", "pricing.yaml")),
    ]).toEqual([0, 0, "Nothing written (run again with --yes to write these 64).\n", false]);
  });

  it("writes with --yes, after which cost prices a model it could not price before", async () => {
    const root = await project();
    // gpt-4o is in the snapshot but not in the shipped table.
    await emitExecutionEvent(
      join(root, "kitty-specs", "001-x"),
      "001-x",
      "WP01",
      "codex",
      "implementer",
      {
        model: "gpt-4o",
        inputTokens: 1234,
        outputTokens: 567,
      },
    );
    const cost = async () =>
      JSON.parse(
        (
          await runSpecKitty(["agent", "telemetry", "cost", "-g", "model", "--format", "json"], {
            cwd: root,
          })
        ).stdout,
      ) as { rows: unknown[] };
    const before = await cost();
    const update = await runSpecKitty(pricing("update", "--from", "prices.json", "--yes"), {
      cwd: root,
      now: NOW,
    });
    const after = await cost();
    expect(update.stdout.split("\n").at(-2)).toBe(
      "Wrote 64 models to .kittify/pricing.yaml (source: LiteLLM prices.json, 2026-11-30).",
    );
    // 1,234 x $2.50/M + 567 x $10.00/M = 0.003085 + 0.00567.
    expect([before.rows, after.rows]).toMatchObject([
      [{ group: { model: "gpt-4o" }, estimated_cost_usd: "0.00", unpriced_event_count: 1 }],
      [{ group: { model: "gpt-4o" }, estimated_cost_usd: "0.008755", unpriced_event_count: 0 }],
    ]);
    expect(await overrideOf(root)).toContain(
      "  gpt-4o:\n    source: LiteLLM prices.json, 2026-11-30\n    input_per_1k: 0.0025\n    output_per_1k: 0.01\n    cache_read_per_1k: 0.00125\n",
    );
  });

  it("is a no-op the second time", async () => {
    const root = await project();
    const args = pricing("update", "--from", "prices.json", "--yes");
    await runSpecKitty(args, { cwd: root, now: NOW });
    const written = await overrideOf(root);
    const again = await runSpecKitty(args, { cwd: root, now: NOW + 86_400_000 });
    expect([again.exitCode, again.stdout.split("\n").slice(-3), await overrideOf(root)]).toEqual([
      0,
      ["Unchanged: 165.", "Nothing to write: .kittify/pricing.yaml already agrees.", ""],
      written,
    ]);
  });

  it("keeps the user's entries and comments, and lists what it did not overwrite", async () => {
    const root = await project(USER_OVERRIDE);
    const run = await runSpecKitty(
      pricing("update", "--from", "prices.json", "--only", "claude-sonnet-4-5", "gpt-4o", "--yes"),
      { cwd: root, now: NOW },
    );
    await expect(transcript(run)).toMatchFileSnapshot(snapshot("update-keeps-yours.txt"));
    await expect(await overrideOf(root)).toMatchFileSnapshot(
      snapshot("update-keeps-yours.pricing.yaml"),
    );
  });

  it("replaces its own earlier entry when the source's price changed, old -> new shown", async () => {
    const root = await project();
    const source = JSON.parse(await readFile(SNAPSHOT, "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    const only = ["--only", "gpt-4o"];
    await runSpecKitty(pricing("update", "--from", "prices.json", "--yes", ...only), {
      cwd: root,
      now: NOW,
    });
    Object.assign(source["gpt-4o"] ?? {}, { input_cost_per_token: 3e-6 });
    await writeFile(join(root, "prices.json"), JSON.stringify(source));
    const run = await runSpecKitty(pricing("update", "--from", "prices.json", "--yes", ...only), {
      cwd: root,
      now: NOW,
    });
    expect(run.stdout).toContain(
      "Changed (1):\n  ~ gpt-4o: input 2.50 -> 3.00, cache write 5m 2.50 -> 3.00, cache write 1h 5.00 -> 6.00\n",
    );
    expect(await overrideOf(root)).toContain(
      "  gpt-4o:\n    source: LiteLLM prices.json, 2026-11-30\n    input_per_1k: 0.003\n",
    );
  });

  it("keeps every name priced when a changed model takes over a shipped entry", async () => {
    const root = await project();
    const source = {
      "claude-3-5-sonnet-20241022": {
        litellm_provider: "anthropic",
        input_cost_per_token: 4e-6,
        output_cost_per_token: 2e-5,
      },
    };
    await writeFile(join(root, "new.json"), JSON.stringify(source));
    await runSpecKitty(pricing("update", "--from", "new.json", "--yes"), { cwd: root, now: NOW });
    const show = await runSpecKitty(pricing("show", "claude-3-5-sonnet-latest", "--json"), {
      cwd: root,
    });
    expect(JSON.parse(show.stdout)).toMatchObject({
      match: "alias",
      priced_as: "claude-3-5-sonnet-20241022",
      origin: "override",
      source: "LiteLLM new.json, 2026-11-30",
      rates: { input_per_1k: 0.004 },
    });
  });

  it("says when an alias it takes over keeps its rates as an entry of its own", async () => {
    const root = await project();
    const snapshot = JSON.parse(await readFile(SNAPSHOT, "utf8")) as Record<string, object>;
    const pro = "gemini/gemini-3.1-pro-preview";
    const source = {
      [pro]: { ...snapshot[pro], input_cost_per_token: 9e-6 },
      [`${pro}-customtools`]: snapshot[`${pro}-customtools`],
    };
    await writeFile(join(root, "new.json"), JSON.stringify(source));
    const run = await runSpecKitty(pricing("update", "--from", "new.json"), { cwd: root });
    expect(run.stdout).toContain(
      "  ~ gemini-3.1-pro-preview-customtools (priced as gemini-3.1-pro-preview until now): the same rates, now an entry of its own\n",
    );
  });

  describe("from a URL (a local server)", () => {
    let server: Server;
    let base = "";
    beforeAll(async () => {
      const body = await readFile(SNAPSHOT);
      server = createServer((request, response) => {
        if (request.url === "/prices.json") response.end(body);
        else if (request.url === "/slow") setTimeout(() => response.end("{}"), 5_000);
        else {
          response.statusCode = 404;
          response.end("no");
        }
      });
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    });

    it("fetches, plans and writes as from a file, the URL as the source", async () => {
      const root = await project();
      const run = await runSpecKitty(
        pricing("update", "--from", `${base}/prices.json`, "--only", "gpt-4o", "--yes"),
        { cwd: root, now: NOW },
      );
      expect([run.exitCode, run.stderr, await overrideOf(root)]).toEqual([
        0,
        "",
        expect.stringContaining(`source: LiteLLM ${base}/prices.json, 2026-11-30`),
      ]);
    });

    it.each<[string, string[], RegExp]>([
      [
        "a 404",
        ["/missing"],
        /^spec-kitty: http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404 Not Found\n$/,
      ],
      [
        "no answer in time",
        ["/slow", "--timeout", "0.3"],
        /^spec-kitty: http:\/\/127\.0\.0\.1:\d+\/slow: no answer within 0\.3 s\n$/,
      ],
    ])("fails in one line on %s, writing nothing", async (_, [path = "", ...rest], message) => {
      const root = await project();
      const run = await runSpecKitty(
        pricing("update", "--from", `${base}${path}`, "--yes", ...rest),
        {
          cwd: root,
        },
      );
      expect([run.exitCode, run.stdout, run.stderr]).toEqual([
        1,
        "",
        expect.stringMatching(message),
      ]);
      expect(await exists(join(root, ".kittify", "pricing.yaml"))).toBe(false);
    });

    it("fails on a closed port with the cause", async () => {
      const closed = createServer();
      await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
      const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x.json`;
      await new Promise((done) => closed.close(done));
      const run = await runSpecKitty(pricing("update", "--from", url), { cwd: await project() });
      expect([run.exitCode, run.stderr]).toEqual([
        1,
        `spec-kitty: ${url}: could not be fetched (connect ECONNREFUSED ${url.slice(7, -7)})\n`,
      ]);
    });
  });

  it.each<[string, string, string[], RegExp]>([
    ["a bad JSON file", "{", [], /^spec-kitty: bad\.json: not JSON \(.*\)\n$/],
    [
      "a negative rate",
      JSON.stringify({
        "gpt-9": {
          litellm_provider: "openai",
          input_cost_per_token: -1e-6,
          output_cost_per_token: 1e-6,
        },
      }),
      [],
      /^spec-kitty: model "gpt-9": input_cost_per_token is -0\.000001, not a price\n$/,
    ],
    [
      "an absurd rate",
      JSON.stringify({
        "gpt-9": { litellm_provider: "openai", input_cost_per_token: 3, output_cost_per_token: 15 },
      }),
      [],
      /^spec-kitty: model "gpt-9": input_cost_per_token is 3 USD per token \(over 0\.01\); not a price\n$/,
    ],
    [
      "a wrong shape",
      "[]",
      [],
      /^spec-kitty: bad\.json: expected LiteLLM's model_prices_and_context_window\.json/,
    ],
    [
      "an unknown --only model",
      "{}",
      ["--only", "gpt-10"],
      /^spec-kitty: --only gpt-10: no such model in the source\n$/,
    ],
  ])("refuses %s in one line, exit 1, nothing written", async (_, text, extra, message) => {
    const root = await project(USER_OVERRIDE);
    await writeFile(join(root, "bad.json"), text);
    const run = await runSpecKitty(pricing("update", "--from", "bad.json", "--yes", ...extra), {
      cwd: root,
    });
    expect([run.exitCode, run.stdout, run.stderr]).toEqual([1, "", expect.stringMatching(message)]);
    expect(await overrideOf(root)).toBe(USER_OVERRIDE);
  });

  it.each<[string, string[], RegExp]>([
    [
      "a missing file",
      ["--from", "nope.json"],
      /^spec-kitty: nope\.json: could not be read \(ENOENT/,
    ],
    [
      "--dry-run with --yes",
      ["--from", "prices.json", "--dry-run", "--yes"],
      /option '--dry-run' cannot be used with option '--yes'/,
    ],
    ["no --from", [], /required option '--from <file\|url>' not specified/],
  ])("refuses %s", async (_, args, message) => {
    const run = await runSpecKitty(pricing("update", ...args), { cwd: await project() });
    expect([run.exitCode, run.stderr]).toEqual([1, expect.stringMatching(message)]);
  });

  it("refuses to grow the override past the size reports read", async () => {
    const big = `# ${"x".repeat((1 << 20) - 100)}\nmodels: {}\n`;
    const root = await project(big);
    const run = await runSpecKitty(
      pricing("update", "--from", "prices.json", "--only", "gpt-4o", "--yes"),
      { cwd: root },
    );
    expect([run.exitCode, run.stderr, (await overrideOf(root)) === big]).toEqual([
      1,
      expect.stringMatching(/would pass 1048576 bytes, which reports ignore; use --only\n$/),
      true,
    ]);
  });

  it("refuses to edit an override that does not parse", async () => {
    const root = await project("models: [unclosed\n");
    const run = await runSpecKitty(pricing("update", "--from", "prices.json", "--yes"), {
      cwd: root,
    });
    expect([run.exitCode, run.stderr.split("\n").at(-2), await overrideOf(root)]).toEqual([
      1,
      expect.stringMatching(
        /^spec-kitty: .*pricing\.yaml cannot be used \(see the warning above\); fix it before updating it$/,
      ),
      "models: [unclosed\n",
    ]);
  });
});
