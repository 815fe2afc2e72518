import * as Type from "typebox/type";
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { lazyCompile } from "../events/lazy-compile.js";
import { stringRecord } from "../events/string-record.js";
import { TelemetryError } from "./errors.js";
import { type PicoUsd, picoFromUsd } from "./money.js";

// Reading `.kittify/budgets.yaml`, apart from budgets.ts so that a report of a project without
// budgets does not load the YAML library.

/** A project's budgets in exact pico-dollars; absent keys have no budget. */
export interface Budgets {
  readonly project: PicoUsd | undefined;
  readonly monthly: PicoUsd | undefined;
  readonly features: ReadonlyMap<string, PicoUsd>;
}

const Usd = Type.Number({ minimum: 0 });
const BudgetsFile = lazyCompile(
  Type.Object(
    {
      project: Type.Optional(Usd),
      monthly: Type.Optional(Usd),
      features: Type.Optional(stringRecord(Usd)),
    },
    { additionalProperties: false },
  ),
);

/**
 * Parses `.kittify/budgets.yaml` text: `project`, `monthly` and `features: {<slug>: usd}`, all
 * in USD, none negative. Anything else throws a TelemetryError naming `file:line:column`.
 */
export function parseBudgets(text: string, file: string): Budgets {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const fail = (offset: number | undefined, problem: string): never => {
    const where =
      offset === undefined
        ? file
        : `${file}:${lines.linePos(offset).line}:${lines.linePos(offset).col}`;
    throw new TelemetryError("INVALID_BUDGETS", `${where}: ${problem}`);
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const offset = syntax.pos[0];
    fail(offset, (syntax.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, ""));
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  if (!BudgetsFile.Check(data)) {
    const errors = [...BudgetsFile.Errors(data)];
    // An unknown key (often a typo) says more than what it leaves missing.
    const error = errors.find((e) => e.schemaPath.endsWith("/additionalProperties")) ?? errors[0];
    const path = (error?.instancePath ?? "")
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const unknown = error?.schemaPath.endsWith("/additionalProperties") === true;
    // An unknown key's error points at the key itself.
    const place = offsetOf(doc.contents, path, unknown);
    const field = path.join(".");
    const problem = unknown
      ? `unknown key "${field}" (expected project, monthly or features)`
      : `${field || "the file"}: ${
          path.length === 0 ? "expected a mapping" : "expected an amount in USD, 0 or more"
        }`;
    fail(place, problem);
  }
  const valid = data as { project?: number; monthly?: number; features?: Record<string, number> };
  const usd = (value: number | undefined) => (value === undefined ? undefined : picoFromUsd(value));
  return {
    project: usd(valid.project),
    monthly: usd(valid.monthly),
    features: new Map(Object.entries(valid.features ?? {}).map(([k, v]) => [k, picoFromUsd(v)])),
  };
}

/** The offset in the text of the node at `path` (of its key with `atKey`), as near as it exists. */
function offsetOf(root: Node | null, path: readonly string[], atKey: boolean): number | undefined {
  let node: unknown = root;
  let offset = root?.range?.[0];
  for (const [i, segment] of path.entries()) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
    if (!isPair(pair)) break;
    const keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (atKey && i === path.length - 1) return keyOffset ?? offset;
    node = pair.value;
    offset = (isScalar(node) || isMap(node) ? node.range?.[0] : undefined) ?? keyOffset ?? offset;
  }
  return offset;
}
