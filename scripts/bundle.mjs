// Bundles the CLI (and the report's scan worker) into single files after `tsc` has emitted dist/.
// Why: Node 20 loads ESM module by module, and the CLI's dependencies are ~1,000 small files
// (typebox alone ~700): unbundled, starting `spec-kitty` took ~0.35 s before any work; bundled,
// under 0.1 s. The library (dist/index.js) stays tsc's output.
import { chmod, copyFile } from "node:fs/promises";
import { build } from "esbuild";

await build({
  entryPoints: {
    main: "src/cli/main.ts",
    // Resolved beside the bundle by the report's parallel scan (new URL("./scan-worker.js")).
    "scan-worker": "src/telemetry/scan/scan-worker.ts",
    // Imported by the scan's threads for the dashboard's read (SPEND_PASS_MODULE, beside the bundle).
    "spend-pass": "src/telemetry/scan/spend-pass.ts",
  },
  outdir: "dist/cli",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // CommonJS dependencies call require() (commander, yaml) and read __filename
  // (write-file-atomic); an ES module has none of these, so the bundle defines them.
  banner: {
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      'import { dirname as __pathDirname } from "node:path";',
      "const require = __createRequire(import.meta.url);",
      "const __filename = __fileURLToPath(import.meta.url);",
      "const __dirname = __pathDirname(__filename);",
    ].join(" "),
  },
});
await chmod("dist/cli/main.js", 0o755);
// The shipped pricing table is read beside the module that loads it: tsc's and the bundle's.
await copyFile("src/telemetry/pricing.yaml", "dist/telemetry/pricing.yaml");
await copyFile("src/telemetry/pricing.yaml", "dist/cli/pricing.yaml");
