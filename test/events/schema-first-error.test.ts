import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { Guard } from "typebox/guard";
import * as Type from "typebox/type";
import { describe, expect, it } from "vitest";
import { codePointCount } from "../../src/events/code-points.js";
import { ENVELOPE_SCHEMA, isInvalid, parseEventLine } from "../../src/events/event.js";
import { describedWithoutTypebox, firstSchemaError } from "../../src/events/schema-first-error.js";
import { readEventLine } from "../../src/telemetry/event-line.js";
import {
  EXECUTION_EVENT_TYPE,
  LONG_CONTEXT_FIELDS,
  MODEL_USAGE_FIELDS,
  PAYLOAD_FIELDS,
  type PayloadFieldDefinition,
  payloadSchema,
} from "../../src/telemetry/execution-payload.js";
import { PrefixDigestSchema } from "../../src/telemetry/log-fingerprint.js";
import { NEW_PAYLOAD_FIELDS } from "../support/new-payload-fields.js";
import { seeded } from "../support/relayout.js";
import { eventLine, variedLog } from "../support/varied-log.js";

// The words of a skipped line's first error are worked out without typebox at run time
// (schema-first-error.ts): here typebox itself, compiled as before, is the oracle, on values
// made to break every rule of the envelope and payload schemas, alone and together.

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/** typebox's first error, as the readers used it before (a compiled validator's `Errors`). */
const compiled = new Map<TSchema, ReturnType<typeof Compile>>();
function typeboxFirst(schema: TSchema, value: unknown) {
  let validator = compiled.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  const first = validator.Errors(value)[0];
  return first ? { instancePath: first.instancePath, message: first.message } : null;
}

/** The values where the walk and typebox disagree (none, or the first few). */
function disagreements(schema: TSchema, values: readonly unknown[]) {
  const found: { value: unknown; walk: unknown; typebox: unknown }[] = [];
  for (const value of values) {
    const walk = firstSchemaError(schema, value);
    const typebox = typeboxFirst(schema, value);
    if (JSON.stringify(walk) !== JSON.stringify(typebox)) found.push({ value, walk, typebox });
    if (found.length >= 5) break;
  }
  return found;
}

// Values of every kind a field can wrongly (or rightly) hold, JSON's and JavaScript's.
const ODD_VALUES: readonly unknown[] = [
  null,
  undefined,
  "",
  "x",
  "reported",
  "emit",
  "worktree",
  "\ud83d\ude00",
  "\ud83d",
  "\ude00\ud83d",
  0,
  -0,
  7,
  -1,
  1.5,
  -1.5,
  1e300,
  9007199254740991,
  9007199254740992,
  281474976710655,
  281474976710656,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  3n,
  -3n,
  true,
  false,
  {},
  [],
  [1],
  [null],
  [{}],
  { input_tokens: "5" },
  [{ model: 5 }],
  [{ long_context: [{ above_tokens: -1 }] }],
  Symbol("s"),
  () => 0,
  new Date(0),
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A valid object for `fields`, every field filled (lists with an entry or two). */
function validObject(fields: readonly PayloadFieldDefinition[], random: () => number) {
  const value: Record<string, unknown> = {};
  for (const field of fields) {
    if (random() < 0.15) continue; // absent: allowed for every payload field
    if (random() < 0.1) {
      value[field.name] = null;
      continue;
    }
    switch (field.kind) {
      case "text":
        value[field.name] = pick(random, ["claude", "", "WP01"]);
        break;
      case "tokens":
        value[field.name] = Math.floor(random() * 1000);
        break;
      case "usd":
      case "non-negative":
        value[field.name] = random() * 10;
        break;
      case "integer":
        value[field.name] = Math.floor(random() * 20) - 10;
        break;
      case "boolean":
        value[field.name] = random() < 0.5;
        break;
      case "enum":
        value[field.name] = pick(random, field.values);
        break;
      case "list":
        value[field.name] = Array.from({ length: 1 + Math.floor(random() * 2) }, () =>
          validObject(field.fields, random),
        );
        break;
      default:
        field satisfies never;
    }
  }
  return value;
}

/** `value` broken in 1-3 places, at any depth (a field, an entry of a list, the object). */
function broken(value: unknown, random: () => number): unknown {
  if (typeof value !== "object" || value === null) return pick(random, ODD_VALUES);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const edits = 1 + Math.floor(random() * 3);
  for (let k = 0; k < edits; k++) {
    const choice = random();
    const key = keys.length > 0 ? pick(random, keys) : "x";
    const record = copy as Record<string, unknown>;
    if (choice < 0.45) record[key] = pick(random, ODD_VALUES);
    else if (choice < 0.7) record[key] = broken(record[key], random);
    else if (choice < 0.85) delete record[key];
    else if (Array.isArray(copy))
      copy.length += 2; // holes after the last entry
    else record[pick(random, ["extra", "toString", "__proto__", "constructor", key])] = 1;
  }
  return copy;
}

/** A valid event of the envelope, with a payload of `fields`. */
function validEvent(fields: readonly PayloadFieldDefinition[], random: () => number) {
  return {
    ...JSON.parse(eventLine(Math.floor(random() * 1000), "043-x")),
    payload: validObject(fields, random),
  };
}

/** Each field alone given each odd value: the first error of every field and kind. */
function fieldByField(base: Record<string, unknown>, names: readonly string[]): unknown[] {
  return names.flatMap((name) => ODD_VALUES.map((odd) => ({ ...base, [name]: odd })));
}

const NEW_FIELDS = NEW_PAYLOAD_FIELDS;

/** Every line of the agent outputs recorded in the fixtures: real JSON that is not an event. */
async function agentOutputValues(): Promise<unknown[]> {
  const root = join(FIXTURES, "agent-outputs");
  const values: unknown[] = [];
  const agents = await readdir(root, { withFileTypes: true });
  for (const agent of agents.filter((entry) => entry.isDirectory()).map((entry) => entry.name)) {
    for (const file of await readdir(join(root, agent))) {
      const text = await readFile(join(root, agent, file), "utf8");
      const lines = file.endsWith(".jsonl") ? text.split("\n") : [text];
      for (const line of lines) {
        try {
          values.push(JSON.parse(line));
        } catch {
          // a blank line or a torn one: not a value
        }
      }
    }
  }
  return values;
}

describe("firstSchemaError: typebox's first error without typebox", () => {
  const payload = payloadSchema(PAYLOAD_FIELDS);

  it("walks the envelope's and every payload schema itself (no corner left to typebox)", () => {
    expect(describedWithoutTypebox(ENVELOPE_SCHEMA)).toBe(true);
    expect(describedWithoutTypebox(payload)).toBe(true);
    for (const field of NEW_FIELDS) {
      expect(describedWithoutTypebox(payloadSchema([...PAYLOAD_FIELDS, field]))).toBe(true);
    }
  });

  it("gives typebox's error for each field of the envelope holding each odd value", () => {
    const base = JSON.parse(eventLine(3, "043-x"));
    const values = [...fieldByField(base, Object.keys(ENVELOPE_SCHEMA.properties)), ...ODD_VALUES];
    expect(disagreements(ENVELOPE_SCHEMA, values)).toEqual([]);
    // The values do break the envelope in many ways.
    const messages = new Set(values.map((v) => firstSchemaError(ENVELOPE_SCHEMA, v)?.message));
    expect(messages.size).toBeGreaterThan(6);
  });

  it("gives typebox's error for each payload field, model and long-context entry holding each odd value", () => {
    const random = seeded(16);
    const base = validObject(PAYLOAD_FIELDS, random);
    const model = validObject(MODEL_USAGE_FIELDS, random);
    const longContext = validObject(LONG_CONTEXT_FIELDS, random);
    const names = (fields: readonly PayloadFieldDefinition[]) => fields.map((f) => f.name);
    const values = [
      ...fieldByField(base, names(PAYLOAD_FIELDS)),
      ...fieldByField(model, names(MODEL_USAGE_FIELDS)).map((m) => ({ ...base, models: [m] })),
      ...fieldByField(longContext, names(LONG_CONTEXT_FIELDS)).map((entry) => ({
        ...base,
        models: [model, { ...model, long_context: [longContext, entry] }],
      })),
    ];
    expect(disagreements(payload, values)).toEqual([]);
  });

  it.each([
    ["the envelope", ENVELOPE_SCHEMA, PAYLOAD_FIELDS, 4000],
    ["the payload", payload, null, 4000],
  ] as const)(
    "agrees with typebox on %s broken at random, in several places at once",
    (_, schema, fields, count) => {
      const random = seeded(20261201);
      const values = Array.from({ length: count }, () => {
        const valid =
          fields === null ? validObject(PAYLOAD_FIELDS, random) : validEvent(fields, random);
        return broken(valid, random);
      });
      expect(disagreements(schema, values)).toEqual([]);
      // Most are invalid: the test compares errors, not nulls.
      expect(values.filter((v) => firstSchemaError(schema, v) !== null).length).toBeGreaterThan(
        count * 0.6,
      );
    },
  );

  it.each(NEW_FIELDS.map((f) => [f.kind, f] as const))(
    "agrees with typebox on a payload with a new %s field",
    (_, field) => {
      const fields = [...PAYLOAD_FIELDS, field];
      const schema = payloadSchema(fields);
      const random = seeded(field.name.length);
      const base = validObject(fields, random);
      const values = [
        ...fieldByField(base, [field.name]),
        ...Array.from({ length: 300 }, () => broken(validObject(fields, random), random)),
      ];
      expect(disagreements(schema, values)).toEqual([]);
    },
  );

  it("agrees with typebox on every line of the recorded agent outputs (JSON, not events)", async () => {
    const values = await agentOutputValues();
    expect(values.length).toBeGreaterThan(50);
    expect(disagreements(ENVELOPE_SCHEMA, values)).toEqual([]);
    expect(disagreements(payload, values)).toEqual([]);
  });

  it("asks typebox for a schema with a keyword it does not walk (a pattern)", () => {
    expect(describedWithoutTypebox(PrefixDigestSchema)).toBe(false);
    const values = [{ end: 1, chain: "x", tail: "0123456789abcdef" }, { end: -1 }, null];
    expect(disagreements(PrefixDigestSchema, values)).toEqual([]);
    expect(firstSchemaError(PrefixDigestSchema, values[0])).toEqual({
      instancePath: "/chain",
      message: 'must match pattern "^[0-9a-f]{16}$"',
    });
  });

  it("counts code points as typebox does (its checks compiled ahead of time call this)", () => {
    const random = seeded(5);
    const units = [0x41, 0xe9, 0xd83d, 0xde00, 0xdbff, 0xdc00, 0x200d];
    for (let n = 0; n < 2000; n++) {
      const text = String.fromCharCode(
        ...Array.from({ length: Math.floor(random() * 6) }, () => pick(random, units)),
      );
      expect([text, codePointCount(text)]).toEqual([text, Guard.CodePointCount(text)]);
    }
  });

  it("reads JavaScript's corners as typebox: holes, inherited keys, bigints, undefined", () => {
    const sparse = (...items: unknown[]) => {
      const array = [...items];
      array.length += 2;
      return array;
    };
    const model = validObject(MODEL_USAGE_FIELDS, seeded(1));
    expect(
      disagreements(payload, [
        { models: sparse() },
        { models: sparse(model) },
        { models: Object.assign([], { 1: model }) },
        { models: [undefined, model] },
        { agent: undefined, input_tokens: undefined },
      ]),
    ).toEqual([]);
    // Keys of Object.prototype: typebox asks `in` (inherited counts) but own only for a few.
    const named = Type.Object({
      constructor: Type.Optional(Type.String()),
      toString: Type.Optional(Type.String()),
      valueOf: Type.String(),
    });
    expect(disagreements(named, [{}, { valueOf: "x" }, Object.create(null)])).toEqual([]);
    expect(firstSchemaError(named, { valueOf: "x" })?.instancePath).toBe("/toString");
    // A bound with no type (an Unsafe schema): a bigint is compared, a string is not.
    const bound = Type.Unsafe<number>({ minimum: 0, maximum: 10 });
    expect(disagreements(bound, [-3n, 3n, 11n, "x", -1, 11])).toEqual([]);
    expect(firstSchemaError(bound, -3n)?.message).toBe("must be >= 0");
  });

  it("knows a string's minLength in code points, as typebox", () => {
    const schema = Type.Object({ name: Type.String({ minLength: 2 }) });
    const values = ["", "a", "ab", "\ud83d\ude00", "\ud83d\ude00a", "\ud83d\ud83d"].map((name) => ({
      name,
    }));
    expect(disagreements(schema, values)).toEqual([]);
  });
});

/** A line's words as the readers gave them with typebox's compiled validators (the old path). */
function typeboxWords(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  const envelope = typeboxFirst(ENVELOPE_SCHEMA, value);
  if (envelope !== null) {
    const field = envelope.instancePath.replace(/^\//, "");
    return field ? `${field}: ${envelope.message}` : envelope.message;
  }
  // Ids and timestamps are checked after the shape, by code of ours (not typebox's).
  const event = parseEventLine(text);
  if (isInvalid(event)) return event.error;
  if (event.event_type !== EXECUTION_EVENT_TYPE) return null;
  const payload = typeboxFirst(payloadSchema(PAYLOAD_FIELDS), event.payload);
  return payload === null
    ? null
    : `payload${payload.instancePath.replace(/\//g, ".")}: ${payload.message}`;
}

describe("a skipped line's words", () => {
  it("are those typebox gave, on real lines broken as logs break them", async () => {
    const projects = join(FIXTURES, "spec-kitty-project", "kitty-specs");
    const real: string[] = [];
    for (const feature of await readdir(projects)) {
      const text = await readFile(join(projects, feature, "execution.events.jsonl"), "utf8");
      real.push(...text.split("\n").filter((line) => line !== ""));
    }
    // As the bench's generator writes a bad line: a token count as a string.
    const stringTokens = real.map((line) =>
      line.replace(/"input_tokens": (\d+|null)/, '"input_tokens": "$1"'),
    );
    const random = seeded(10);
    const lines = [
      ...real,
      // The awkward lines real logs hold, as the report's tests write them (test/support).
      ...variedLog(700, "043-x")
        .toString("utf8")
        .split("\n")
        .filter((line) => line.trim() !== ""), // blank lines are not counted at all
      ...stringTokens,
      ...Array.from({ length: 3000 }, () =>
        JSON.stringify(broken(JSON.parse(pick(random, real)), random) ?? null, (_, v) =>
          typeof v === "bigint" ? Number(v) : v,
        ),
      ),
    ];
    const differ = lines
      .map((line) => {
        const read = readEventLine(line);
        const words = read === null || !isInvalid(read) ? null : read.error;
        return { line, words, typebox: typeboxWords(line) };
      })
      .filter((r) => r.typebox !== null && r.words !== r.typebox);
    expect(differ.slice(0, 3)).toEqual([]);
    expect(lines.filter((line) => typeboxWords(line) !== null).length).toBeGreaterThan(1000);
    // The bench's bad line: a valid envelope whose payload has a token count as a string.
    const stringToken = stringTokens[0] as string;
    expect(isInvalid(parseEventLine(stringToken))).toBe(false);
    expect(readEventLine(stringToken)).toEqual({ error: "payload.input_tokens: must be integer" });
  });
});
