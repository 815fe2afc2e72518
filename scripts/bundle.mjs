// Bundles the CLI (and the report's scan worker) into a few chunk files after `tsc` has emitted dist/.
// Why: Node 20 loads ESM module by module, and the CLI's dependencies are ~1,000 small files
// (typebox alone ~700): unbundled, starting `spec-kitty` took ~0.35 s before any work; bundled,
// under 0.1 s. The library (dist/index.js) stays tsc's output.
import { chmod, copyFile, readdir, readFile, rm } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { build } from "esbuild";
// tsc's output, just emitted: the shipped pricing table is parsed by the code that parses it at
// run time, so the compiled table is the one the YAML means.
import { compilePricing } from "../dist/telemetry/pricing-compiled.js";
import { parsePricingTable } from "../dist/telemetry/pricing-file.js";

const PRICING_YAML = "src/telemetry/pricing.yaml";
const problems = [];
const pricing = parsePricingTable(await readFile(PRICING_YAML, "utf8"), PRICING_YAML, (w) =>
  problems.push(w.message),
);
if (pricing === undefined || problems.length > 0) {
  throw new Error(`${PRICING_YAML} is invalid: ${problems.join("; ")}`);
}

// Chunks of an earlier build (their names hold a content hash), so that none is left stale, and
// the pricing.yaml earlier bundles read (this one holds the table).
const CHUNK = /-[A-Z0-9]{8}\.js(\.map)?$/;
for (const name of await readdir("dist/cli")) {
  if (CHUNK.test(name) || name === "pricing.yaml") await rm(`dist/cli/${name}`);
}

const result = await build({
  entryPoints: {
    main: "src/cli/main.ts",
    // Resolved beside the bundle by the report's parallel scan (new URL("./scan-worker.js")).
    "scan-worker": "src/telemetry/scan/scan-worker.ts",
    // Resolved beside the bundle by the cache's prefix proof (new URL("./digest-worker.js")).
    "digest-worker": "src/telemetry/scan/digest-worker.ts",
    // Imported by the scan's threads for the dashboard's read (SPEND_PASS_MODULE, beside the bundle).
    "spend-pass": "src/telemetry/scan/spend-pass.ts",
  },
  outdir: "dist/cli",
  bundle: true,
  // Each command's module (imported when its command runs, src/cli/telemetry-commands.ts) and
  // the code the worker shares with the CLI go to chunks of their own, so that a command
  // compiles only what it uses. Beside the entries (not in a folder): the chunks resolve the
  // worker and package.json relative to their own URL.
  splitting: true,
  chunkNames: "[name]-[hash]",
  metafile: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // The shipped pricing table as JSON text (src/telemetry/pricing.ts reads it instead of the YAML).
  define: {
    SPEC_KITTY_SHIPPED_PRICING: JSON.stringify(compilePricing(pricing)),
    SPEC_KITTY_TYPEBOX_COMPILE: JSON.stringify("./typebox-compile.js"),
  },
  // CommonJS dependencies call require() (commander, yaml) and read __filename
  // (write-file-atomic); an ES module has none of these, so the bundle defines them.
  banner: {
    // Every chunk gets these and few use them: `require` is made on its first call, the paths
    // are Node's (createRequire and a URL's path in each chunk were ~7 ms of a warm report).
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      "const __filename = import.meta.filename;",
      "const __dirname = import.meta.dirname;",
      "let __requireHere;",
      "function require(id) {",
      "__requireHere ??= __createRequire(import.meta.url);",
      "return __requireHere(id);",
      "}",
    ].join(" "),
  },
});
await chmod("dist/cli/main.js", 0o755);
// typebox's compiler, required beside the bundle the first time a validator is compiled
// (src/events/lazy-compile.ts), so that a command that compiles none (a warm cost report) does
// not load it. Built on its own: as an entry of the build above, every typebox module it shares
// with the commands would be in a chunk they load (esbuild splits by file; ~165 KB instead of
// ~20). Its copy of typebox's type code is not the commands': schemas are plain objects.
await build({
  entryPoints: { "typebox-compile": "scripts/typebox-compile.mjs" },
  outdir: "dist/cli",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
});
// The cost report's own build: its command chunk and every chunk it loads, bundled again into
// as few files as its own dynamic imports allow. Why: esbuild splits the code that the ten
// commands share into ~30 chunks by which commands use it, and Node 20 spends ~1 ms on each ES
// module it loads; a warm report loaded 30 files, now ~10 (~15 ms less CPU of ~170). The chunks
// main.js loads stay shared (one commander, one CodedError); the rest is the report's private
// copy, so that no module of a report run is loaded twice. Only another command built in the
// same process (help lists them all) has copies of the same modules: building a command keeps
// no state. esbuild's `// path` comments, which say what a chunk holds (test/cli/bundle.test.ts
// reads them), are kept as `/*! path */`.
const outputs = result.metafile.outputs;
const staticImports = (file) =>
  outputs[file].imports.filter((i) => i.kind === "import-statement" && !i.external);
const mainLoads = new Set();
for (const pending = ["dist/cli/main.js"]; pending.length > 0; ) {
  const file = pending.pop();
  if (mainLoads.has(resolve(file))) continue;
  mainLoads.add(resolve(file));
  pending.push(...staticImports(file).map((i) => i.path));
}
const costChunk = Object.keys(outputs).find((f) => /\/cost-command-[A-Z0-9]{8}\.js$/.test(f));
if (costChunk === undefined) throw new Error("the build has no cost command chunk");
const MARKER = /^\/\/ ((?:\.\.\/)*(?:[\w.@-]+\/)*[\w.@-]+\.[cm]?[jt]s)$/gm;
const costBuild = await build({
  entryPoints: { [basename(costChunk, ".js")]: costChunk },
  outdir: "dist/cli",
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: "[name]-[hash]",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "inline",
  metafile: true,
  logLevel: "warning",
  plugins: [
    {
      name: "shared-with-main",
      setup(b) {
        b.onResolve({ filter: /^\.\// }, (a) => {
          const file = resolve(dirname(a.importer), a.path);
          return mainLoads.has(file) ? { path: a.path, external: true } : undefined;
        });
        b.onLoad({ filter: /\.js$/ }, async (a) => ({
          contents: (await readFile(a.path, "utf8")).replace(MARKER, "/*! $1 */"),
          loader: "js",
        }));
      },
    },
  ],
});
// The library (tsc's output) reads the shipped pricing table beside the module that loads it.
await copyFile(PRICING_YAML, "dist/telemetry/pricing.yaml");
// Which modules each chunk holds (for checking what a command loads): BUNDLE_METAFILE=<path>;
// the cost command's own build (whose inputs are the chunks of the first) in <path>.cost.
if (process.env.BUNDLE_METAFILE) {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(process.env.BUNDLE_METAFILE, JSON.stringify(result.metafile));
  await writeFile(`${process.env.BUNDLE_METAFILE}.cost`, JSON.stringify(costBuild.metafile));
}
