import { describe, expect, it } from "vitest";
import { isInvalid, parseEventLine } from "../../src/events/event.js";
import { readEventLine } from "../../src/telemetry/event-line.js";
import {
  PAYLOAD_FIELDS,
  type PayloadFieldDefinition,
} from "../../src/telemetry/execution-payload.js";
import { payloadProblem, payloadValidator } from "../../src/telemetry/payload-check.js";
import { EventFields } from "../../src/telemetry/scan/event-fields.js";
import { LineScanner, scanLine } from "../../src/telemetry/scan/line-scanner.js";
import { NEW_PAYLOAD_FIELDS } from "../support/new-payload-fields.js";
import { eventLine } from "../support/varied-log.js";

// Values of every kind, as JSON text: each is put in each field of the definition.
const VALUES = [
  "null",
  '"x"',
  '""',
  '"reported"',
  '"estimated"',
  '"batch"',
  '"emit"',
  '"worktree"',
  '"\\u0041"',
  "0",
  "7",
  "-1",
  "1.5",
  "-0",
  "1.0",
  "1e2",
  "9007199254740991",
  "9007199254740992",
  "true",
  "false",
  "{}",
  "[]",
  "[1]",
];

const NEW_FIELDS = NEW_PAYLOAD_FIELDS;

/** A valid event line whose payload's `name` holds the JSON text `value`. */
function lineWith(name: string, value: string): Buffer {
  const event = JSON.parse(eventLine(7, "043-x"));
  event.payload[name] = "@@VALUE@@";
  return Buffer.from(JSON.stringify(event).replace('"@@VALUE@@"', value));
}

/** The two readers of one definition: the full parse (envelope + generated validator) and a scanner. */
function readersOf(fields: readonly PayloadFieldDefinition[]) {
  const validator = payloadValidator(fields);
  const scanner = new LineScanner(fields);
  return {
    full: (line: Buffer) => {
      const event = parseEventLine(line.toString("utf8"));
      return !isInvalid(event) && payloadProblem(validator, event.payload) === null;
    },
    fast: (line: Buffer) => scanner.scanLine(line, 0, line.length, new EventFields()),
  };
}

/** Values the scanner accepts that the full parse refuses (must be none), and how many it read. */
function disagreements(fields: readonly PayloadFieldDefinition[], name: string) {
  const { full, fast } = readersOf(fields);
  const lines = VALUES.map((value) => ({ value, line: lineWith(name, value) }));
  return {
    acceptedWrongly: lines.filter((l) => fast(l.line) && !full(l.line)).map((l) => l.value),
    refusedByBoth: lines.filter((l) => !fast(l.line) && !full(l.line)).length,
    readFast: lines.filter((l) => fast(l.line)).length,
  };
}

describe("the payload's one definition, read by both readers", () => {
  it.each(PAYLOAD_FIELDS.map((f) => [f.name, f] as const))(
    "%s: the scanner accepts no value the full parse refuses, and reads the ones it accepts alike",
    (name) => {
      for (const value of VALUES) {
        const line = lineWith(name, value);
        const fast = new EventFields();
        const full = readEventLine(line.toString("utf8"));
        expect(full).not.toBeNull();
        const fullAccepts = full !== null && !isInvalid(full);
        const fastAccepts = scanLine(line, 0, line.length, fast);
        expect({ value, accepted: fastAccepts && !fullAccepts }).toEqual({
          value,
          accepted: false,
        });
        const fullFields = fullAccepts ? new EventFields().fromEvent(full) : null;
        expect(fastAccepts ? fast : fullFields).toEqual(fullFields);
      }
      // The field is on the fast path: its null and some value of its kind are read by the scanner.
      expect(disagreements(PAYLOAD_FIELDS, name).readFast).toBeGreaterThanOrEqual(2);
    },
  );

  it.each(NEW_FIELDS.map((f) => [f.kind, f] as const))(
    "a %s field added to the definition is checked by both readers alike",
    (_, field) => {
      const result = disagreements([...PAYLOAD_FIELDS, field], field.name);
      expect(result.acceptedWrongly).toEqual([]);
      // Both do check it: some values are refused, and the scanner still reads valid ones.
      expect(result.refusedByBoth).toBeGreaterThan(0);
      expect(result.readFast).toBeGreaterThanOrEqual(2);
    },
  );

  it("catches a scanner that lags behind the definition (the check above can fail)", () => {
    // The old failure: a field the validator checks but the scanner skips as unknown.
    const field = NEW_FIELDS[0] as PayloadFieldDefinition;
    const { full } = readersOf([...PAYLOAD_FIELDS, field]);
    const lagging = new LineScanner(PAYLOAD_FIELDS);
    const line = lineWith(field.name, '"x"');
    expect(full(line)).toBe(false);
    expect(lagging.scanLine(line, 0, line.length, new EventFields())).toBe(true);
  });

  it("refuses a definition with more keys than the scanner's key mask holds", () => {
    const many = Array.from({ length: 32 }, (_, i) => ({
      name: `f${i}`,
      kind: "text" as const,
      reference: false,
    }));
    expect(() => new LineScanner(many)).toThrow(RangeError);
  });
});

// A reader that reports only its first bad line's reason (the report's scan) asks for no other:
// typebox's list of errors behind a reason costs ~0.3 ms a line.
describe("a line read without its reason worked out", () => {
  const line = eventLine(3, "043-x");
  it.each([
    ["a valid line", line, false],
    [
      "a token count written as text",
      line.replace(/"input_tokens": (\d+)/, '"input_tokens": "$1"'),
      true,
    ],
    ["a success that is not a boolean", line.replace(/"success": \w+/, '"success": 1'), true],
    ["an envelope without its id", line.replace(/"event_id": "[^"]+", /, ""), true],
  ])("is kept or skipped as with its reason: %s", (_, text, invalid) => {
    expect(text === line).toBe(!invalid);
    const explained = readEventLine(text);
    const quick = readEventLine(text, false);
    expect([
      explained !== null && isInvalid(explained),
      quick !== null && isInvalid(quick),
    ]).toEqual([invalid, invalid]);
    if (!invalid) expect(quick).toEqual(explained);
    // A payload's reason is left out; the envelope's is cheap and kept.
    if (invalid && explained !== null && isInvalid(explained)) {
      const payload = explained.error.startsWith("payload");
      expect(quick).toEqual(payload ? { error: "payload" } : explained);
    }
  });
});
