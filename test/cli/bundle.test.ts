import { execFile } from "node:child_process";
import { access, appendFile, open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { digestPrefix } from "../../src/telemetry/log-fingerprint.js";
import { START } from "../../src/telemetry/prefix-chain.js";
import { claimWord } from "../../src/telemetry/scan/proof-claim.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfFixtureProject, tempDir } from "../support/temp-project.js";
import { variedLog, writeVariedLog } from "../support/varied-log.js";

// The shipped CLI is a bundle (scripts/bundle.mjs, run by `npm ci` through `prepare`): these
// tests run it as users do, because a bundle can break what the sources never do (a CommonJS
// dependency reading __filename, a worker file not beside the bundle).
const BUNDLE = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
const run = promisify(execFile);

async function specKitty(args: string[]) {
  await access(BUNDLE).catch(() => {
    throw new Error(`${BUNDLE} is missing: run npm run build (npm ci does it)`);
  });
  return run(process.execPath, [BUNDLE, ...args], {
    env: { ...process.env, NO_COLOR: "1", TZ: "UTC" },
  });
}

describe("the bundled CLI (dist/cli/main.js)", () => {
  it("emits with its clock file and index written, and no warning", async () => {
    const root = await copyOfFixtureProject();
    const feature = "043-telemetry-foundation";
    const args = ["agent", "telemetry", "emit", "--repo", root, "-f", feature, "-r", "implementer"];
    const { stdout, stderr } = await specKitty([...args, "--json"]);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toMatchObject({ result: "success" });
    const files = await readdir(join(root, "kitty-specs", feature));
    expect(files).toEqual(
      expect.arrayContaining([".telemetry-clock.json", ".execution.events.jsonl.index.json"]),
    );
  });

  it("reports with its worker threads what the sources report", async () => {
    const root = await tempDir();
    // Over 16 MiB in all: the scan splits it between the main thread and a worker.
    await writeVariedLog(root, "043-big", 24_000);
    await writeVariedLog(root, "044-big", 24_000);
    const args = [
      "agent",
      "telemetry",
      "cost",
      "--repo",
      root,
      "--group-by",
      "agent,model",
      "--json",
    ];
    const bundled = await specKitty(args);
    const sources = await runSpecKitty(args);
    expect(bundled.stdout).toBe(sources.stdout);
    expect(bundled.stderr).toBe(sources.stderr);
    expect(JSON.parse(bundled.stdout).length).toBeGreaterThan(5);
  });

  // The cost command is a build of its own (scripts/bundle.mjs) beside main.js: its errors must
  // still be the CLI's (one line, exit 1), which main.js knows by their shared base class.
  it("reports a cost command's bad flag as the sources do", async () => {
    const root = await copyOfFixtureProject();
    const args = ["agent", "telemetry", "cost", "--repo", root, "--group-by", "bogus", "--json"];
    const failed = await specKitty(args).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    const sources = await runSpecKitty(args);
    expect([failed.code, failed.stderr]).toEqual([sources.exitCode, sources.stderr]);
    expect(failed.stderr).toMatch(/^spec-kitty: invalid --group-by "bogus"[^\n]*\n$/);
  });

  it("writes with its worker threads the dashboard the sources write (the pass beside the bundle)", async () => {
    const root = await tempDir();
    await writeVariedLog(root, "043-big", 24_000);
    await writeVariedLog(root, "044-big", 24_000);
    const page = async (out: string, write: (args: string[]) => Promise<unknown>) => {
      await write(["agent", "telemetry", "dashboard", "--repo", root, "--out", join(root, out)]);
      const html = await readFile(join(root, out), "utf8");
      const data = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(
        html,
      );
      const { generated_at, ...rest } = JSON.parse(data?.[1] ?? "null") as Record<string, unknown>;
      return rest;
    };
    const bundled = await page("bundled.html", specKitty);
    expect(bundled).toEqual(await page("sources.html", (args) => runSpecKitty(args)));
    expect(bundled.outcomes).not.toEqual([]);
  });

  // The shipped pricing table is compiled into the bundle (scripts/bundle.mjs): the same prices
  // as the sources' reading of pricing.yaml, which is no longer beside the bundle.
  it("prices with the table the sources read from pricing.yaml", async () => {
    const root = await copyOfFixtureProject();
    const args = ["agent", "telemetry", "pricing", "show", "--repo", root, "--json"];
    const bundled = await specKitty(args);
    expect(bundled.stdout).toBe((await runSpecKitty(args)).stdout);
    expect(Object.keys(JSON.parse(bundled.stdout)).length).toBeGreaterThan(0);
    await expect(access(join(BUNDLE, "..", "pricing.yaml"))).rejects.toThrow();
  });

  // A warm report with nothing new holds no young generation (node:v8) and, in a pipe, shows no
  // spinner (yocto-spinner loads node:tty): Node's own modules cost start-up time too.
  it("loads neither node:v8, node:tty nor Web Crypto for a warm report in a pipe", async () => {
    const root = await copyOfFixtureProject();
    // A stamp taken within 0.1 s of a write is proven by its digest (`racyStamp`): the copied
    // logs must be older than that for the report that fills the cache to leave it warm.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const hook = join(await tempDir(), "loaded.cjs");
    await writeFile(
      hook,
      'process.on("exit", () => process.stderr.write("\\nLOADED " + process.moduleLoadList + "\\n"));',
    );
    const args = [BUNDLE, "agent", "telemetry", "cost", "--repo", root, "--json"];
    await specKitty(args.slice(1)); // fills the cache
    const { stdout, stderr } = await run(process.execPath, ["-r", hook, ...args], {
      env: { ...process.env, NO_COLOR: "1", TZ: "UTC" },
    });
    expect(JSON.parse(stdout).length).toBeGreaterThan(0);
    const loaded = stderr.split("LOADED ")[1]?.trim().split(",") ?? [];
    expect(loaded).toContain("NativeModule fs");
    expect(loaded).not.toContain("NativeModule v8");
    expect(loaded).not.toContain("NativeModule tty");
    // node:crypto required, not imported (node-crypto.ts): its ES module view loads Web Crypto.
    expect(loaded).toContain("NativeModule crypto");
    expect(loaded).not.toContain("NativeModule internal/crypto/webcrypto");
  });

  // A log's malformed lines are parsed in full and the first one's error is put in words: both
  // without typebox's compiler (typebox-compile.js beside the bundle, ~360 KB), whose loading
  // and compiling cost each scanning thread ~30 ms. Checked in every thread: a preload (which
  // Node runs in workers too) notes each thread and each load of that file.
  it("loads no typebox compiler in any thread for a cold report, a dashboard and a report after an append, malformed lines and all", async () => {
    const root = await tempDir();
    // Over 16 MiB in all, so that a worker thread scans too; every 50th line is malformed.
    await writeVariedLog(root, "043-big", 24_000);
    const log = await writeVariedLog(root, "044-big", 24_000);
    const notes = join(root, "notes.txt");
    const hook = join(root, "note-loads.cjs");
    await writeFile(
      hook,
      [
        'const { appendFileSync } = require("node:fs");',
        'const Module = require("node:module");',
        'const thread = require("node:worker_threads").isMainThread ? "main" : "worker";',
        "const note = (text) => appendFileSync(process.env.NOTES, text + '\\n');",
        "note(thread + ' started');",
        "const load = Module._load;",
        "Module._load = function (request, ...rest) {",
        "  if (String(request).includes('typebox-compile')) note(thread + ' loaded the compiler');",
        "  return load.call(this, request, ...rest);",
        "};",
      ].join("\n"),
    );
    const noted = async (args: string[]) => {
      await writeFile(notes, "");
      const { stderr } = await run(process.execPath, ["-r", hook, BUNDLE, ...args], {
        env: { ...process.env, NO_COLOR: "1", TZ: "UTC", NOTES: notes },
        maxBuffer: 64 << 20,
      });
      const lines = (await readFile(notes, "utf8")).split("\n").filter((line) => line !== "");
      return { stderr, threads: lines.filter((line) => line.endsWith(" started")), lines };
    };
    const report = ["agent", "telemetry", "cost", "--repo", root, "--json"];
    const cold = await noted(report);
    // The malformed lines were met and explained (a payload's wrong type among them).
    expect(cold.stderr).toMatch(/skipped \d+ malformed lines \(first at line \d+: /);
    expect(cold.threads).toEqual(expect.arrayContaining(["main started", "worker started"]));
    expect(cold.lines.filter((line) => !line.endsWith(" started"))).toEqual([]);

    const html = join(root, "dashboard.html");
    const dashboard = await noted([
      "agent",
      "telemetry",
      "dashboard",
      "--repo",
      root,
      "--out",
      html,
    ]);
    expect(dashboard.threads).toEqual(expect.arrayContaining(["main started", "worker started"]));
    expect(dashboard.lines.filter((line) => !line.endsWith(" started"))).toEqual([]);

    // An append with a malformed line of each kind the scanner leaves to the full parse.
    await appendFile(log, variedLog(100, "044-big", 10));
    const warm = await noted(report);
    expect(warm.stderr).toMatch(/044-big[^\n]*skipped \d+ malformed lines/);
    expect(warm.lines.filter((line) => !line.endsWith(" started"))).toEqual([]);

    // The hook does see the compiler loaded where a command needs one (a pricing file's check).
    await writeFile(join(root, ".kittify", "pricing.yaml"), "models: {}\n");
    const priced = await noted(["agent", "telemetry", "pricing", "show", "--repo", root, "--json"]);
    expect(priced.lines).toContain("main loaded the compiler");
  });

  it("prints its version without building any command", async () => {
    const { stdout } = await specKitty(["--version"]);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("proves a cached prefix with its digest thread, a file beside the bundle", async () => {
    const path = join(await tempDir(), "log");
    await writeFile(path, Buffer.alloc(200_000, "x"));
    const handle = await open(path, "r");
    try {
      const worker = new Worker(new URL("digest-worker.js", pathToFileURL(BUNDLE)));
      const reply = new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      const seed = START.toString(16);
      worker.postMessage({
        id: 7,
        fd: handle.fd,
        start: 0,
        seed,
        end: 150_000,
        claim: claimWord(),
      });
      expect(await reply.finally(() => worker.terminate())).toEqual({
        id: 7,
        digest: await digestPrefix(handle, 150_000),
      });
    } finally {
      await handle.close();
    }
  });
});

// How esbuild marks a bundled file: `// path`, or `/*! path */` in the cost command's own
// build (scripts/bundle.mjs), whose second pass keeps only such comments.
const MARK = "(?:// |/\\*! )";

/** The comment esbuild puts before a file of package `name`, wherever node_modules is. */
function bundledPackage(name: string): RegExp {
  return new RegExp(`^${MARK}(?:\\.\\./)*(?:[\\w.-]+/)*node_modules/${name}/`, "m");
}

/** Whether a chunk's text holds the module at `path` (from the project's root). */
function holds(text: string, path: string): boolean {
  return new RegExp(`^${MARK}${path.replace(/[.]/g, "\\.")}`, "m").test(text);
}

// A command's chunk and the chunks it imports statically: what running it loads and compiles.
// esbuild marks each bundled file with a `// node_modules/...` comment (a path relative to the
// project: `// ../../main/node_modules/...` in a worktree whose node_modules is a link).
async function loadedBy(entry: string): Promise<string> {
  return (await filesLoadedBy(entry)).text;
}

async function filesLoadedBy(entry: string): Promise<{ text: string; files: number }> {
  const dir = join(BUNDLE, "..");
  const seen = new Set<string>();
  const pending = [entry];
  let text = "";
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await readFile(join(dir, file), "utf8");
    text += code;
    // Static imports only (`from "./x.js"`, `import "./x.js"`); `import("./x.js")` runs on demand.
    for (const [, next] of code.matchAll(/(?:from|import) ?"\.\/([^"]+)"/g)) {
      if (next !== undefined) pending.push(next);
    }
  }
  return { text, files: seen.size };
}

async function chunkOf(command: string): Promise<string> {
  const names = await readdir(join(BUNDLE, ".."));
  const chunk = names.find((n) => new RegExp(`^${command}-command-[A-Z0-9]{8}\\.js$`).test(n));
  if (chunk === undefined) throw new Error(`no chunk for the ${command} command`);
  return chunk;
}

describe("what the bundled CLI loads", () => {
  // Loaded only by the commands that use them (or, YAML, when a project file must be read).
  const HEAVY = ["pg", "yaml", "@opentelemetry", "chart.js", "better-sqlite3"];

  it.each(HEAVY)("a cost report does not load %s", async (name) => {
    const loaded = await loadedBy(await chunkOf("cost"));
    expect(holds(loaded, "src/telemetry/report.ts")).toBe(true);
    expect(loaded).not.toMatch(bundledPackage(name));
  });

  // typebox's compiler is a file of its own, required when a validator is first compiled
  // (src/events/lazy-compile.ts; a warm report's cache headers have one compiled ahead of
  // time); Type.Record's engine is not bundled at all (src/events/string-record.ts).
  it.each(["typebox/build/compile", "typebox/build/type/engine/record"])(
    "a cost report does not load %s",
    async (name) => {
      const loaded = await loadedBy(await chunkOf("cost"));
      expect(loaded).toMatch(bundledPackage("typebox/build/type"));
      expect(loaded).not.toMatch(bundledPackage(name));
    },
  );

  it("typebox's compiler is beside the bundle, whole", async () => {
    const compiler = await readFile(join(BUNDLE, "..", "typebox-compile.js"), "utf8");
    expect(compiler).toMatch(bundledPackage("typebox/build/compile"));
    expect(compiler).not.toMatch(/from "\.\/chunk-/);
  });

  // Node 20 spends ~1 ms on each ES module it loads: the cost command has a build of its own
  // (scripts/bundle.mjs), in ~15 files where the commands' shared chunks were ~30.
  it("a cost report loads few files", async () => {
    const { files } = await filesLoadedBy(await chunkOf("cost"));
    expect(files).toBeLessThanOrEqual(16);
  });

  it("a cost report loads the table's code (cli-table3) only to print a table", async () => {
    const loaded = await loadedBy(await chunkOf("cost"));
    expect(holds(loaded, "src/cli/render-cost-json.ts")).toBe(true);
    expect(holds(loaded, "src/cli/table.ts")).toBe(false);
  });

  it("the start loads no command", async () => {
    const loaded = await loadedBy("main.js");
    expect(holds(loaded, "src/telemetry/")).toBe(false);
  });

  it("sync loads the PostgreSQL client (what the check above looks for is there)", async () => {
    expect(await loadedBy(await chunkOf("sync"))).toMatch(bundledPackage("pg"));
  });
});
