import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isInvalid } from "../../../src/events/event.js";
import { cleanLine, readEventLine } from "../../../src/telemetry/event-line.js";
import { EventFields } from "../../../src/telemetry/scan/event-fields.js";
import { scanLine, scanLineTo } from "../../../src/telemetry/scan/line-scanner.js";
import { relayout, seeded } from "../../support/relayout.js";
import { FIXTURE_PROJECT } from "../../support/temp-project.js";
import { eventLine, variedLog } from "../../support/varied-log.js";

const DEMO_PROJECT = join(import.meta.dirname, "..", "..", "..", "examples", "demo-project");

async function logLines(project: string): Promise<string[]> {
  const lines: string[] = [];
  const features = join(project, "kitty-specs");
  for (const feature of await readdir(features)) {
    const text = await readFile(join(features, feature, "execution.events.jsonl"), "utf8").catch(
      () => "",
    );
    lines.push(...text.split("\n").filter((l) => l !== ""));
  }
  return lines;
}

function plain(fields: EventFields) {
  const { id, ...rest } = fields;
  return { ...rest, idTag: id.tag, idWords: [...id.words] };
}

/**
 * The scanner's verdict on `bytes` checked against the full parse: when it accepts a line, the
 * full parse must accept it too and read the same fields. Returns whether it accepted.
 */
function agreesWithFullParse(bytes: Buffer): boolean {
  const fast = new EventFields();
  if (!scanLine(bytes, 0, bytes.length, fast)) return false;
  let text: string | null;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = null;
  }
  const event = readEventLine(text === null ? null : cleanLine(text, 2));
  if (event === null || isInvalid(event)) {
    throw new Error(`scanner accepted a line the full parse refuses: ${bytes.toString("latin1")}`);
  }
  expect(plain(fast)).toEqual(plain(new EventFields().fromEvent(event)));
  return true;
}

// A small deterministic generator, so that a failure can be replayed.
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

const NOISE = [
  '"',
  "\\",
  "\\u0041",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  " ",
  "\t",
  "\r",
  "0",
  "-",
  ".",
  "e5",
  "null",
  "true",
  "x",
  "\u00e9",
  "\u0001",
];

function mutate(line: string, random: () => number): Buffer {
  let text = line;
  const edits = 1 + Math.floor(random() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(random() * text.length);
    const choice = random();
    if (choice < 0.35) {
      text =
        text.slice(0, at) + (NOISE[Math.floor(random() * NOISE.length)] as string) + text.slice(at);
    } else if (choice < 0.7) {
      text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 4));
    } else {
      const from = Math.floor(random() * text.length);
      text = text.slice(0, at) + text.slice(from, from + 12) + text.slice(at);
    }
  }
  return Buffer.from(text, "utf8");
}

describe("scanLine (the report's fast path)", () => {
  it("reads every line of the real fixture logs exactly as the full parse does", async () => {
    const lines = await logLines(FIXTURE_PROJECT);
    const accepted = lines.filter((line) => agreesWithFullParse(Buffer.from(line, "utf8")));
    // The fast path must actually serve real logs, not only fall back.
    expect(accepted.length).toBeGreaterThan(lines.length * 0.9);
  });

  it("reads every line of the demo project exactly as the full parse does", async () => {
    const lines = await logLines(DEMO_PROJECT);
    const accepted = lines.filter((line) => agreesWithFullParse(Buffer.from(line, "utf8")));
    expect(accepted.length).toBeGreaterThan(lines.length * 0.9);
  });

  it.each([
    ["import", "import"],
    ["orchestrate", "orchestrate"],
    [null, null],
    [undefined, null], // no source at all: a line of an older log, or of the Python CLI
  ])("reads the origin %s as %s, as the full parse does", (written, read) => {
    const event = JSON.parse(eventLine(7, "043-x")) as { payload: Record<string, unknown> };
    event.payload.source = written;
    const bytes = Buffer.from(JSON.stringify(event));
    expect(agreesWithFullParse(bytes)).toBe(true);
    const fields = new EventFields();
    scanLine(bytes, 0, bytes.length, fields);
    expect(fields.source).toBe(read);
  });

  it("never accepts an awkward line the full parse reads differently", () => {
    const lines = variedLog(400, "043-x").toString("latin1").split("\n");
    for (const line of lines) agreesWithFullParse(Buffer.from(line, "latin1"));
  });

  it("agrees with the full parse on 20,000 random corruptions of real lines", async () => {
    const random = randomSource(20261124);
    const sources = [
      ...(await logLines(FIXTURE_PROJECT)),
      // Lines with per-model usage, long-context sums and the other newer fields.
      ...Array.from({ length: 40 }, (_, i) => eventLine(i + 1, "043-x")),
    ];
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const source = sources[Math.floor(random() * sources.length)] as string;
      if (agreesWithFullParse(mutate(source, random))) accepted++;
    }
    // Some corruptions stay valid (a changed digit): those must be read alike, and they exist.
    expect(accepted).toBeGreaterThan(1000);
  });

  it("agrees with the full parse on real lines rewritten in other JSON layouts", async () => {
    const random = seeded(20261130);
    const sources = [
      ...(await logLines(FIXTURE_PROJECT)),
      ...Array.from({ length: 40 }, (_, i) => eventLine(i + 1, "043-x")),
    ];
    let accepted = 0;
    for (let n = 0; n < 5_000; n++) {
      const source = sources[Math.floor(random() * sources.length)] as string;
      // Without escapes half the time: the scanner reads any key order and spacing itself.
      const other = relayout(JSON.parse(source), random, random() < 0.5 ? 0 : 0.02);
      // And corrupted: the layouts the scanner reads must not make a corruption pass either.
      const bytes = random() < 0.5 ? Buffer.from(other) : mutate(other, random);
      if (agreesWithFullParse(bytes)) accepted++;
    }
    // Many are read by the scanner (those without an escape or an integer in exponent form).
    expect(accepted).toBeGreaterThan(200);
  });

  it("reads decimal costs to the same double as JSON.parse", () => {
    const random = randomSource(7);
    const line = eventLine(5, "043-x").replace(/"cost_usd": [^,]+,/, '"cost_usd": COST,');
    for (let n = 0; n < 20_000; n++) {
      const digits = 1 + Math.floor(random() * 17);
      let text = String(Math.floor(random() * 10 ** Math.min(digits, 15)));
      const point = Math.floor(random() * (text.length + 1));
      text = point === text.length ? text : `${text.slice(0, point) || "0"}.${text.slice(point)}`;
      const bytes = Buffer.from(line.replace("COST", text));
      const fields = new EventFields();
      expect(scanLine(bytes, 0, bytes.length, fields)).toBe(true);
      expect(fields.costUsd).toBe(JSON.parse(text));
    }
  });

  it("reads costs written with an exponent (Python's `1e-05`) to the same double as JSON.parse", () => {
    const random = randomSource(11);
    const line = eventLine(5, "043-x").replace(/"cost_usd": [^,]+,/, '"cost_usd": COST,');
    for (let n = 0; n < 5_000; n++) {
      const mantissa = String(1 + Math.floor(random() * 10 ** Math.floor(random() * 17)));
      const point = Math.floor(random() * mantissa.length);
      const digits =
        point === 0 ? mantissa : `${mantissa.slice(0, point)}.${mantissa.slice(point)}`;
      const e = ["e", "E"][Math.floor(random() * 2)] as string;
      const sign = ["", "+", "-"][Math.floor(random() * 3)] as string;
      const text = `${digits}${e}${sign}${Math.floor(random() * 330)}`;
      const bytes = Buffer.from(line.replace("COST", text));
      const finite = Number.isFinite(JSON.parse(text));
      expect(agreesWithFullParse(bytes)).toBe(finite); // an overflow is left to the full parse
      const fields = new EventFields();
      if (finite) scanLine(bytes, 0, bytes.length, fields);
      if (finite) expect(fields.costUsd).toBe(JSON.parse(text));
    }
  });

  it.each([
    ['"cost_usd": 1e-05', true],
    ['"duration_ms": 5E+3', true],
    ['"input_tokens": 1e5', false], // an integer so written: the full parse's to judge
    ['"exit_code": 0e0', false],
    ['"cost_usd": 1e', false],
    ['"cost_usd": 1e+', false],
    ['"cost_usd": 1e999', false],
  ])("reads %s with an exponent on the fast path: %s", (member, fast) => {
    const line = eventLine(5, "043-x");
    const key = member.slice(0, member.indexOf(":"));
    const text = line.replace(new RegExp(`${key}: [^,]+`), member);
    expect(text).not.toBe(line);
    const bytes = Buffer.from(text);
    expect(scanLine(bytes, 0, bytes.length, new EventFields())).toBe(fast);
    agreesWithFullParse(bytes);
  });

  it.each([
    [0, true],
    [2 ** 48 - 1, true],
    [2 ** 48, false],
    [2 ** 53 - 1, false],
  ])("takes lamport_clock %s exactly when the full parse does (%s)", (clock, valid) => {
    const text = eventLine(3, "043-x").replace(/"lamport_clock": \d+/, `"lamport_clock": ${clock}`);
    const event = readEventLine(text);
    expect([
      scanLine(Buffer.from(text), 0, text.length, new EventFields()),
      event !== null && !isInvalid(event),
    ]).toEqual([valid, valid]);
  });

  // Each field of the canonical timestamp read by its digits: a wrong byte anywhere, a value
  // out of range and every form the full parse takes must get the full parse's verdict.
  it.each([
    ["2026-02-16T09:12:58.036834+00:00", true],
    ["2026-02-16T09:12:58+00:00", true],
    ["2024-02-29T23:59:59.999999-05:30", true],
    ["2023-02-29T00:00:00+00:00", false],
    ["0099-01-01T00:00:00+00:00", false],
    ["2026-13-01T00:00:00+00:00", false],
    ["2026-00-01T00:00:00+00:00", false],
    ["2026-04-31T00:00:00+00:00", false],
    ["2026-02-16T24:00:00+00:00", false],
    ["2026-02-16T09:60:00+00:00", false],
    ["2026-02-16T09:12:60+00:00", false],
    ["2026-02-16T09:12:58+24:00", false],
    ["2026-02-16T09:12:58+00:60", false],
    ["2O26-02-16T09:12:58+00:00", false],
    ["2026-02-1xT09:12:58+00:00", false],
    ["2026-02-16T09:12:58.03683a+00:00", false],
    ["2026-02-16T09:12:58.036834+0a:00", false],
    ["2026-02-16T09:12:58,036834+00:00", false],
    ["2026-02-16 09:12:58.036834+00:00", false],
  ])("reads the timestamp %s as the full parse does (accepted: %s)", (timestamp, accepted) => {
    const line = eventLine(3, "043-x").replace(
      /"timestamp": "[^"]*"/,
      `"timestamp": "${timestamp}"`,
    );
    expect(agreesWithFullParse(Buffer.from(line))).toBe(accepted);
  });

  it("leaves to the full parse what it cannot read with certainty", () => {
    const line = eventLine(3, "043-x");
    const refused = [
      line.replace('"agent": "', '"agent": "\\u0063'), // an escape in a field it reads
      line.replace('"lamport_clock": 3', '"lamport_clock": 3e0'), // an integer with an exponent
      line.replace('"payload": {', '"payload": {"agent": "x", '), // a repeated key
      line.replace("+00:00", "Z"), // a timestamp form other than the canonical one
      line.replace('"event_id"', '"event\\u005fid"'), // a key written with an escape
      `${line}\r`,
    ];
    for (const text of refused) {
      expect(scanLine(Buffer.from(text), 0, Buffer.byteLength(text), new EventFields())).toBe(
        false,
      );
    }
  });

  // The writers' separators (`": `, `, `) are taken in one step; every other spacing must still
  // be read, and a malformed one refused, exactly as the full parse does.
  it.each([
    ['": ', '":', true],
    ['": ', '" : ', true],
    ['": ', '":\t', true],
    ['": ', '":  ', true],
    [', "', ',"', true],
    [', "', ',\t"', true],
    [', "', ' , "', true],
    [', "', ',  "', true],
    [', "', ', \r"', false], // JSON whitespace the scanner leaves to the full parse
  ])("reads a line whose %j are all %j: %s", (writers, other, fast) => {
    const line = eventLine(3, "043-x");
    const text = line.replaceAll(writers, other);
    expect(text).not.toBe(line);
    const bytes = Buffer.from(text);
    expect(scanLine(bytes, 0, bytes.length, new EventFields())).toBe(fast);
    expect(agreesWithFullParse(bytes)).toBe(fast);
  });

  it.each([
    ['", "', '",, "'],
    ['", "', '", , "'],
    ['": "', '": : "'],
    ['": "', '":: "'],
    ['": "', '"  "'],
    ['": "', '";  "'],
    ['", "', '" "'],
    ["}", ", }"],
    ["}", ", "],
  ])("refuses a line with %j written as %j", (writers, broken) => {
    const line = eventLine(3, "043-x");
    const at = line.lastIndexOf(writers);
    const text = `${line.slice(0, at)}${broken}${line.slice(at + writers.length)}`;
    const bytes = Buffer.from(text);
    expect(scanLine(bytes, 0, bytes.length, new EventFields())).toBe(false);
  });

  // Token counts (and the clock, read alike): plain digits before `,` or `}` are read in one step; every other
  // form must be read, or refused, exactly as the full parse does.
  it.each([
    ["0", true],
    ["7", true],
    ["100", true],
    ["999999999999999", true], // 15 digits
    ["1000000000000000", true], // 16 digits: the general way, still exact
    ["9007199254740991", true],
    ["9007199254740993", false], // not a safe integer
    ["00", false],
    ["01", false],
    ["-1", false],
    ["1.0", false],
    ["1.5", false],
    ["1e3", false],
    ["12 ", true], // a space before the comma or brace
    ['"12"', false],
  ])("reads the token count %s as the full parse does (fast: %s)", (written, fast) => {
    const line = eventLine(3, "043-x");
    for (const [member, after] of [
      ['"input_tokens": 342357', ","], // before a comma
      ['"output_tokens": 18097', "}"], // before the brace of a long-context entry
    ] as const) {
      const key = member.slice(0, member.indexOf(":"));
      expect(line).toContain(`${member}${after}`);
      const bytes = Buffer.from(line.replace(`${member}${after}`, `${key}: ${written}${after}`));
      expect(scanLine(bytes, 0, bytes.length, new EventFields())).toBe(fast);
      expect(agreesWithFullParse(bytes)).toBe(fast);
    }
  });

  // Strings are checked four bytes at a time: a special byte at any offset (every alignment), in
  // a string the report reads and in one it skips, must be seen exactly as the full parse sees it.
  it.each([
    ["an escaped quote", '\\"'],
    ["a backslash escape", "\\n"],
    ["a unicode escape", "\\u00e9"],
    ["a lone backslash", "\\"],
    ["NUL", "\u0000"],
    ["a tab", "\t"],
    ["a unit separator", "\u001f"],
    ["DEL", "\u007f"],
    ["a non-ASCII character", "é"],
    ["a raw quote", '"'],
  ])("reads a string with %s at any offset as the full parse does", (_, special) => {
    const line = eventLine(3, "043-x");
    for (const [member, value] of [
      ['"model": "claude-sonnet-4-5"', "claude-sonnet-4-5"], // read: a model's name
      ['"role": "reviewer"', "reviewer"], // read
      ['"wp_id": "WP04"', "WP04"], // read, short
      ['"error": null', "a long error message written by the agent"], // skipped
    ] as const) {
      const key = member.slice(0, member.indexOf(":"));
      expect(line).toContain(member);
      for (let at = 0; at <= value.length; at++) {
        const text = `${value.slice(0, at)}${special}${value.slice(at)}`;
        const bytes = Buffer.from(line.replace(member, `${key}: "${text}"`), "utf8");
        agreesWithFullParse(bytes);
      }
    }
  });

  // Each key is first checked against the key that followed the one before in the last line
  // read (the writers' sorted order, `"key": `), eight bytes at a time: a key that differs in
  // any one byte, right after a line that taught the order, must go the general way.
  it("reads a key its order predicts only when every byte of it is there", () => {
    const line = eventLine(3, "043-x");
    const keys = [...line.matchAll(/"([a-z_0-9]+)": /g)];
    expect(keys.length).toBeGreaterThan(20);
    let accepted = 0;
    for (const match of keys) {
      const token = match[0];
      for (let at = 0; at < token.length; at++) {
        for (const other of ["X", " ", '"']) {
          if (token[at] === other) continue;
          const edited = `${token.slice(0, at)}${other}${token.slice(at + 1)}`;
          const text = `${line.slice(0, match.index)}${edited}${line.slice(match.index + token.length)}`;
          expect(agreesWithFullParse(Buffer.from(line))).toBe(true); // teaches the order
          if (agreesWithFullParse(Buffer.from(text))) accepted++;
        }
      }
    }
    // Some edits leave a valid line (a space before the colon, a key the report ignores).
    expect(accepted).toBeGreaterThan(50);
  });

  it("reads lines of the writers' layout and of any other alike, whichever came before", async () => {
    const random = seeded(20261201);
    const sources = [
      ...(await logLines(FIXTURE_PROJECT)),
      ...Array.from({ length: 40 }, (_, i) => eventLine(i + 1, "043-x")),
    ];
    let accepted = 0;
    for (let n = 0; n < 3_000; n++) {
      const source = sources[Math.floor(random() * sources.length)] as string;
      // The writers' line, then the same event in another key order and spacing (no escapes).
      const other = relayout(JSON.parse(source), random, 0);
      for (const text of n % 2 === 0 ? [source, other] : [other, source]) {
        if (agreesWithFullParse(Buffer.from(text, "utf8"))) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(3_000);
  });

  it("reads no byte past the end it is given", () => {
    // Cut at every offset inside a buffer that goes on with the rest of the line.
    const bytes = Buffer.from(`${eventLine(3, "043-x")}\n`);
    const end = bytes.length - 1;
    for (let cut = 0; cut < end; cut++) {
      expect(scanLine(bytes, 0, cut, new EventFields())).toBe(false);
      expect(scanLineTo(bytes, 0, cut, new EventFields())).toBe(-1);
    }
    expect(scanLineTo(bytes, 0, bytes.length, new EventFields())).toBe(end);
  });
});
