import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProject } from "../../bench/generate.js";
import { formatCount } from "../../src/cli/output.js";
import { formatUsd, type PicoUsd } from "../../src/telemetry/money.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfProject, tempDir } from "../support/temp-project.js";

// Debian's Chromium, which .ci/run installs; playwright-core downloads no browser of its own.
const CHROMIUM = "/usr/bin/chromium";
const REPO = join(import.meta.dirname, "..", "..");
/** Screenshots, for a person to look at (ignored by git). */
const ARTIFACTS = join(REPO, "test-artifacts", "dashboard");
const VIEWPORTS = [
  [1280, 800],
  [390, 844],
] as const;

type CostDoc = {
  rows: {
    group: Record<string, string>;
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
    cache_write_tokens: number;
    cost_usd: string;
    estimated_cost_usd: string;
    event_count: number;
  }[];
  totals: { cost_usd: string; estimated_cost_usd: string; unpriced_event_count: number };
  warnings?: unknown;
};

/** An exact decimal dollar string as pico-dollars. */
function picoOf(usd: string): PicoUsd {
  const [whole = "0", fraction = ""] = usd.replace("-", "").split(".");
  const pico = BigInt(whole) * 10n ** 12n + BigInt(fraction.padEnd(12, "0"));
  return (usd.startsWith("-") ? -pico : pico) as PicoUsd;
}
const shownUsd = (usd: string) => {
  const text = formatUsd(picoOf(usd), 4);
  return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
};

/** `cost --format json` of the project, grouped by `groupBy`, without its warnings. */
async function costJson(root: string, groupBy: string): Promise<CostDoc> {
  const run = await runSpecKitty(
    ["agent", "telemetry", "cost", "--repo", root, "-g", groupBy, "--format", "json"],
    { cwd: root },
  );
  expect(run.exitCode).toBe(0);
  const { warnings, ...doc } = JSON.parse(run.stdout) as CostDoc;
  return doc;
}

interface Cell {
  readonly text: string;
  readonly usd: string | null;
  readonly count: string | null;
}
interface Shown {
  readonly headline: Record<string, Cell>;
  readonly tables: Record<string, Cell[][]>;
  /** Each chart's canvas: how many of its pixels are painted. */
  readonly charts: Record<string, number>;
  readonly numbers: Cell[];
}

// Runs in the page (a string: the test's tsconfig has no DOM types).
const READ_PAGE = `(() => {
  const cell = (e) => ({ text: e.textContent, usd: e.getAttribute("data-usd"), count: e.getAttribute("data-count") });
  const headline = {};
  for (const card of document.querySelectorAll("[data-headline]")) {
    headline[card.getAttribute("data-headline")] = cell(card.querySelector(".value"));
  }
  const tables = {};
  for (const t of document.querySelectorAll("table[data-table]")) {
    tables[t.getAttribute("data-table")] = [...t.querySelectorAll("tbody tr")].map((r) => [...r.cells].map(cell));
  }
  const charts = {};
  for (const c of document.querySelectorAll("canvas[data-chart]")) {
    const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
    charts[c.getAttribute("data-chart")] = painted;
  }
  const numbers = [...document.querySelectorAll("[data-usd], [data-count]")].map(cell);
  return { headline, tables, charts, numbers };
})()`;

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  await mkdir(ARTIFACTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

/** Writes the project's dashboard, opens it at each viewport, and checks every number shown. */
async function checkDashboard(root: string, name: string): Promise<Shown> {
  const out = join(await tempDir(), "dashboard.html");
  const made = await runSpecKitty(
    ["agent", "telemetry", "dashboard", "--repo", root, "--out", out],
    {
      cwd: root,
    },
  );
  expect(made.exitCode).toBe(0);
  const html = await readFile(out, "utf8");
  // Offline: nothing is fetched (no src= or href= at all; the CSP forbids it anyway).
  expect(html).not.toMatch(/\s(src|href)=/);
  const embedded = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(
    html,
  );
  const data = JSON.parse(embedded?.[1] ?? "null") as Record<string, CostDoc> & {
    period: string;
  };
  const docs = {
    by_agent: await costJson(root, "agent"),
    by_model: await costJson(root, "model"),
    by_feature: await costJson(root, "feature"),
    by_wp: await costJson(root, "wp"),
    over_time: await costJson(root, `${data.period},agent`),
  };
  // The page's figures are `cost --format json`'s documents, whole.
  for (const [key, doc] of Object.entries(docs)) {
    const { warnings, ...embeddedDoc } = data[key] as CostDoc;
    expect(embeddedDoc, key).toEqual(doc);
  }
  let shown: Shown | undefined;
  for (const [width, height] of VIEWPORTS) {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    shown = (await page.evaluate(READ_PAGE)) as Shown;
    await page.screenshot({
      path: join(ARTIFACTS, `${name}-${width}x${height}.png`),
      fullPage: true,
    });
    await page.close();
    expect(errors, `console errors at ${width}x${height}`).toEqual([]);
  }
  const page = shown as Shown;
  const { totals } = docs.by_agent;
  expect({
    total: page.headline.total,
    estimated: page.headline.estimated,
    unpriced: page.headline.unpriced,
  }).toEqual({
    total: { text: shownUsd(totals.cost_usd), usd: totals.cost_usd, count: null },
    estimated: {
      text: shownUsd(totals.estimated_cost_usd),
      usd: totals.estimated_cost_usd,
      count: null,
    },
    unpriced: {
      text: formatCount(totals.unpriced_event_count),
      usd: null,
      count: String(totals.unpriced_event_count),
    },
  });
  const money = (usd: string): Cell => ({ text: shownUsd(usd), usd, count: null });
  const count = (n: number): Cell => ({ text: formatCount(n), usd: null, count: String(n) });
  const text = (t: string): Cell => ({ text: t, usd: null, count: null });
  expect(page.tables.by_feature).toEqual(
    docs.by_feature.rows.map((r) => [
      text(r.group.feature ?? ""),
      count(r.event_count),
      money(r.cost_usd),
      money(r.estimated_cost_usd),
    ]),
  );
  expect(page.tables.by_model?.map((r) => r.slice(0, 8))).toEqual(
    docs.by_model.rows.map((r) => [
      text(r.group.model ?? ""),
      count(r.event_count),
      count(r.input_tokens),
      count(r.output_tokens),
      count(r.cache_read_tokens),
      count(r.cache_write_tokens),
      money(r.cost_usd),
      money(r.estimated_cost_usd),
    ]),
  );
  // Each work package's cost is `cost --group-by wp`'s (the parts are checked by hand elsewhere).
  const byWp = new Map(docs.by_wp.rows.map((r) => [r.group.wp, r.cost_usd]));
  expect(page.tables.outcomes?.map((r) => [`${r[0]?.text}/${r[1]?.text}`, r[6]?.usd])).toEqual(
    page.tables.outcomes?.map((r) => [
      `${r[0]?.text}/${r[1]?.text}`,
      byWp.get(`${r[0]?.text}/${r[1]?.text}`),
    ]),
  );
  expect(page.tables.outcomes?.length).toBe(docs.by_wp.rows.length);
  // Every number on the page is its exact figure, rounded as the CLI's tables round it.
  expect(page.numbers.filter((c) => c.usd !== null && c.text !== shownUsd(c.usd))).toEqual([]);
  expect(
    page.numbers.filter((c) => c.count !== null && c.text !== formatCount(BigInt(c.count))),
  ).toEqual([]);
  expect(Object.values(page.charts).every((painted) => painted > 100)).toBe(true);
  return page;
}

describe("the dashboard in Chromium", () => {
  it("of the demo project: no console error, every number as `cost --format json`, charts drawn", async () => {
    const root = await copyOfProject(join(REPO, "examples", "demo-project"));
    const page = await checkDashboard(root, "demo");
    expect(Object.keys(page.charts).sort()).toEqual(["by_feature", "by_model", "over_time"]);
  }, 300_000);

  it("of a generated 100k-event project with budgets: the same, budget burn included", async () => {
    const root = await tempDir();
    const project = await generateProject(root, { events: 100_000, features: 24, seed: 1 });
    const [first] = project.features;
    const feature = first?.slug ?? "";
    await mkdir(join(root, ".kittify"), { recursive: true });
    await writeFile(
      join(root, ".kittify", "budgets.yaml"),
      `project: 100000\nfeatures:\n  ${feature}: 10\n`,
    );
    const page = await checkDashboard(root, "100k");
    const totals = (await costJson(root, "agent")).totals;
    const spentOn = (await costJson(root, "feature")).rows.find((r) => r.group.feature === feature);
    expect(page.tables.budgets?.map((r) => [r[0]?.text, r[1]?.usd, r[2]?.usd])).toEqual([
      ["project", totals.cost_usd, "100000.00"],
      [`feature ${feature}`, spentOn?.cost_usd, "10.00"],
    ]);
    expect(Object.keys(page.charts).sort()).toEqual([
      "budgets",
      "by_feature",
      "by_model",
      "over_time",
    ]);
  }, 600_000);
});
