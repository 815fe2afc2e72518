import { ENVELOPE_SCHEMA } from "../../events/event.js";
import {
  type EnumSlot,
  EXECUTION_EVENT_TYPE,
  type ListSlot,
  PAYLOAD_FIELDS,
  type PayloadFieldDefinition,
  type TextSlot,
  type TokenSlot,
} from "../execution-payload.js";
import { type EventFields, LongContextFields, type ModelFields } from "./event-fields.js";
import { IdKey } from "./id-set.js";
import { NULL_TEXT, textNumber } from "./text-ids.js";

/**
 * Reads the fields a report needs straight from a log line's bytes, without building the
 * line's object: faster than `JSON.parse` on the lines spec-kitty writes.
 *
 * It is a strict JSON reader of a subset: it accepts a line only when it can tell with
 * certainty that the full parse (`readEventLine`: JSON.parse, envelope and payload checks)
 * accepts it too and reads the same values. Anything else (escapes or non-ASCII bytes in a
 * field it reads, a repeated key, an integer written with an exponent, an unusual timestamp form,
 * anything malformed) makes it return false, and the caller gives that line to the full parse.
 * So it never decides that a line is invalid, and never disagrees with the full parse about a
 * line it accepts (a test fuzzes the two against each other).
 */
export function scanLine(bytes: Uint8Array, start: number, end: number, out: EventFields): boolean {
  return scanner.scanLine(bytes, start, end, out);
}

/**
 * The same for a line whose end is not known yet: reads from `start` (before `limit`) and
 * returns the offset of the line's `\n` when it accepts the line, -1 otherwise (not accepted,
 * or no `\n` before `limit`). It saves the search for the line's end: the scanner finds it.
 */
export function scanLineTo(
  bytes: Uint8Array,
  start: number,
  limit: number,
  out: EventFields,
): number {
  if (!scanner.scan(bytes, start, limit, out)) return -1;
  const at = scanner.position;
  return at < limit && bytes[at] === NEWLINE ? at : -1;
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;
const MAX_DEPTH = 32;
const INVALID = -2;

// The envelope's keys come from its schema (DESIGN §2), each with the rule this scanner reads
// it by; a key the schema gains and this scanner has no rule for makes it refuse every line (the
// full parse then reads them all), never accept one unchecked.
const EVENT_ID = 0;
const EVENT_TYPE = 1;
const AGGREGATE_ID = 2;
const TIMESTAMP = 3;
const NODE_ID = 4;
const LAMPORT_CLOCK = 5;
const CAUSATION_ID = 6;
const PAYLOAD = 7;
const NO_RULE = 8;
const ENVELOPE_RULES: Readonly<Record<string, number>> = {
  event_id: EVENT_ID,
  event_type: EVENT_TYPE,
  aggregate_id: AGGREGATE_ID,
  timestamp: TIMESTAMP,
  node_id: NODE_ID,
  lamport_clock: LAMPORT_CLOCK,
  causation_id: CAUSATION_ID,
  payload: PAYLOAD,
};
const ENVELOPE_KEYS = Object.keys(ENVELOPE_SCHEMA.properties);
const ENVELOPE_KEY_RULE = ENVELOPE_KEYS.map((key) => ENVELOPE_RULES[key] ?? NO_RULE);
const REQUIRED = ENVELOPE_SCHEMA.required.reduce(
  (mask: number, key: string) => mask | (1 << ENVELOPE_KEYS.indexOf(key)),
  0,
);
const LAMPORT_BOUND: unknown = Reflect.get(ENVELOPE_SCHEMA.properties.lamport_clock, "maximum");
const MAX_LAMPORT_CLOCK =
  typeof LAMPORT_BOUND === "number" ? LAMPORT_BOUND : Number.MAX_SAFE_INTEGER;

// Payload value rules, one per kind of the payload's definition (PAYLOAD_FIELDS).
const KIND_CODES = {
  text: 0,
  tokens: 1,
  usd: 2,
  "non-negative": 3,
  integer: 4,
  boolean: 5,
  enum: 6,
  list: 7,
} as const satisfies Record<PayloadFieldDefinition["kind"], number>;
const TEXT = KIND_CODES.text;
const TOKENS = KIND_CODES.tokens;
const USD = KIND_CODES.usd;
const NON_NEGATIVE = KIND_CODES["non-negative"];
const INTEGER = KIND_CODES.integer;
const BOOLEAN = KIND_CODES.boolean;
const ENUM = KIND_CODES.enum;
const LIST = KIND_CODES.list;

interface KeyEntry {
  /** The key's bytes after its first one, and its closing quote. */
  readonly rest: Uint8Array;
  /** The same bytes four at a time (little-endian), for the bulk of the comparison. */
  readonly words: Uint32Array;
  readonly index: number;
}

/**
 * An object's keys as our writers and Python write them (`"key": `, sorted), by index, and
 * for each key (and for the object's start, at index `keys.length`) the key that followed it
 * in the last object read: that key's bytes are checked first (see `LineScanner.nextKey`).
 */
interface KeyOrder {
  /**
   * `"key": `, and the same bytes eight at a time as doubles (little-endian), the last eight
   * overlapping the others when the length is not a multiple of eight. Printable ASCII never
   * makes a NaN nor a zero, so two such doubles are equal exactly when their bytes are.
   */
  readonly tokens: readonly { readonly bytes: Uint8Array; readonly eights: Float64Array }[];
  /** The index of the key last seen after each key (-1: none yet). */
  readonly follow: Int8Array;
}

function keyOrder(keys: readonly string[]): KeyOrder {
  const tokens = keys.map((key) => {
    const bytes = Buffer.from(`"${key}": `, "latin1");
    if (bytes.length < 8)
      throw new RangeError(`the line scanner's keys have 4 bytes at least: ${key}`);
    const eights = new Float64Array(Math.ceil(bytes.length / 8));
    for (let e = 0; e < eights.length; e++) {
      eights[e] = bytes.readDoubleLE(Math.min(e * 8, bytes.length - 8));
    }
    return { bytes, eights };
  });
  return { tokens, follow: new Int8Array(keys.length + 1).fill(-1) };
}

/**
 * Keys grouped by their first byte, so that a known key is matched in one pass over its bytes
 * (and its closing quote), without making a string of it.
 */
function keyTable(keys: readonly string[]): KeyEntry[][] {
  // One slot per byte value, so that any byte's look-up is in bounds (a read past an array's
  // end makes V8 throw away the optimized code that made it, the first time it happens).
  const table: KeyEntry[][] = new Array(256).fill(undefined);
  for (const [index, key] of keys.entries()) {
    const rest = Buffer.from(`${key.slice(1)}"`, "latin1");
    const words = new Uint32Array(rest.length >> 2);
    for (let w = 0; w < words.length; w++) words[w] = rest.readUInt32LE(w * 4);
    const first = key.charCodeAt(0);
    table[first] = [...(table[first] ?? []), { rest, words, index }];
  }
  return table;
}
const ENVELOPE_TABLE = keyTable(ENVELOPE_KEYS);
const ENVELOPE_ORDER = keyOrder(ENVELOPE_KEYS);
const EXECUTION_EVENT = Buffer.from(EXECUTION_EVENT_TYPE, "latin1");
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const { latin1Slice } = Buffer.prototype;
const INTERN_SLOTS = 1024;
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

// What a byte is inside a string: printable ASCII, the closing quote, a backslash, or a byte
// this reader leaves to the full parse (control characters, which JSON forbids, and non-ASCII).
const ORDINARY = 0;
const CLOSING_QUOTE = 1;
const ESCAPE = 2;
const OTHER = 3;
const STRING_BYTE = new Uint8Array(256).fill(OTHER);
STRING_BYTE.fill(ORDINARY, 0x20, 0x7f);
STRING_BYTE[QUOTE] = CLOSING_QUOTE;
STRING_BYTE[BACKSLASH] = ESCAPE;

/** The two digits at `buf[at]` as a number; -1 when either is not a digit. */
function twoDigits(buf: Uint8Array, at: number): number {
  const tens = (buf[at] as number) - ZERO;
  const ones = (buf[at + 1] as number) - ZERO;
  return tens >>> 0 <= 9 && ones >>> 0 <= 9 ? tens * 10 + ones : -1;
}

function isDigit(b: number): boolean {
  return b >= ZERO && b <= NINE;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** A string made from bytes already seen, and those bytes (also four at a time). */
interface Interned {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  /** Its number (text-ids.ts), once a key field asked for it (-1 before). */
  number: number;
}

// The report fields a payload value fills (NOT_READ: none), as numbers for a cheap switch.
const NOT_READ = 0;
const SLOT_CODES = {
  wpId: 1,
  agent: 2,
  role: 3,
  model: 4,
  inputTokens: 5,
  outputTokens: 6,
  cacheReadTokens: 7,
  cacheWriteTokens: 8,
  costUsd: 9,
  success: 10,
  cacheWrite1hTokens: 11,
  aboveTokens: 12,
  models: 13,
  longContext: 14,
  source: 15,
} as const satisfies Record<
  TextSlot | TokenSlot | ListSlot | EnumSlot | "costUsd" | "success",
  number
>;

/** What the scanner knows of each payload key, by its index in the definition. */
interface PayloadRules {
  readonly table: KeyEntry[][];
  readonly order: KeyOrder;
  readonly kind: Uint8Array;
  /** The report field the value fills (SLOT_CODES), or NOT_READ. */
  readonly slot: Uint8Array;
  readonly enumValues: readonly (readonly Uint8Array[])[];
  /** The same values' numbers (text-ids.ts), for the report field an enum fills. */
  readonly enumTexts: readonly (readonly number[])[];
  /** The rules of the objects a list holds, for each key of kind `list`. */
  readonly nested: readonly (PayloadRules | null)[];
}

function payloadRules(fields: readonly PayloadFieldDefinition[]): PayloadRules {
  // Each key seen is one bit of a 32-bit mask (a repeated key is refused).
  if (fields.length > 31) throw new RangeError("the line scanner reads at most 31 keys an object");
  return {
    order: keyOrder(fields.map((f) => f.name)),
    nested: fields.map((f) => (f.kind === "list" ? payloadRules(f.fields) : null)),
    table: keyTable(fields.map((f) => f.name)),
    kind: Uint8Array.from(fields, (f) => KIND_CODES[f.kind]),
    slot: Uint8Array.from(fields, (f) =>
      "report" in f && f.report !== undefined ? SLOT_CODES[f.report] : NOT_READ,
    ),
    enumValues: fields.map((f) =>
      f.kind === "enum" ? f.values.map((v) => Buffer.from(v, "latin1")) : [],
    ),
    enumTexts: fields.map((f) => (f.kind === "enum" ? f.values.map(textNumber) : [])),
  };
}

// Its state lives in fields of one object: V8 keeps their accesses cheap in a hot loop.
/** A fast reader of lines whose payload follows `fields` (see `scanLine`). */
export class LineScanner {
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private lim = 0;
  // The last string read is buf[strStart, strEnd), without its quotes.
  private strStart = 0;
  private strEnd = 0;
  // The last number read.
  private numValue = 0;
  private numIsInteger = false;
  private numNegative = false;
  private readonly causation = new IdKey();
  // The date of the last timestamp read (yyyymmdd) and its midnight in epoch seconds.
  private lastDate = -1;
  private lastMidnight = 0;
  private readonly internTable: (Interned | undefined)[] = new Array(INTERN_SLOTS);
  private readonly payload: PayloadRules;
  // Where the values of the object being read go: the event, one of its models, or the
  // long-context entry of a model being read (kept in `longContext` until it is complete).
  private tokenTarget: EventFields | ModelFields | LongContextFields = new LongContextFields();
  private modelTarget: EventFields | ModelFields | null = null;
  private readonly longContext = new LongContextFields();

  constructor(fields: readonly PayloadFieldDefinition[]) {
    this.payload = payloadRules(fields);
  }

  /** Reads the line `bytes[start, end)` (see `scanLine`). */
  scanLine(bytes: Uint8Array, start: number, end: number, out: EventFields): boolean {
    return this.scan(bytes, start, end, out) && this.pos === end;
  }

  /** Where the last scan stopped: after the object and the spaces that follow it. */
  get position(): number {
    return this.pos;
  }

  /** Reads an event object from `start`, stopping at anything else (a `\n`, `lim`). */
  scan(bytes: Uint8Array, start: number, end: number, out: EventFields): boolean {
    if (bytes !== this.buf) this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.buf = bytes;
    this.pos = start;
    this.lim = end;
    out.clearPayload();
    out.isExecution = false;
    if (!this.readEnvelope(out)) return false;
    this.skipSpace();
    return true;
  }

  private byteAt(at: number): number {
    return at < this.lim ? (this.buf[at] as number) : -1;
  }

  /** Skips spaces and tabs; returns the new position. CR and LF are not accepted mid-line. */
  private skipSpace(): number {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < this.lim && (buf[pos] === SPACE || buf[pos] === TAB)) pos++;
    this.pos = pos;
    return pos;
  }

  private expect(byte: number): boolean {
    if (this.byteAt(this.skipSpace()) !== byte) return false;
    this.pos++;
    return true;
  }

  private bytesEqual(expected: Uint8Array): boolean {
    const { buf, strStart } = this;
    if (this.strEnd - strStart !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (buf[strStart + i] !== expected[i]) return false;
    return true;
  }

  /** The last string read, as a string; the few distinct values of a field are made once. */
  private internedString(): string {
    return this.interned().text;
  }

  /** The number (text-ids.ts) of the last string read: a row key's field. */
  private internedNumber(): number {
    const entry = this.interned();
    if (entry.number < 0) entry.number = textNumber(entry.text);
    return entry.number;
  }

  private interned(): Interned {
    const { buf, strStart, strEnd } = this;
    const length = strEnd - strStart;
    // A cheap hash of the length and up to four bytes from the end (ids differ at their ends).
    let h = length;
    for (let i = Math.max(strStart, strEnd - 4); i < strEnd; i++) {
      h = (h * 31 + (buf[i] as number)) | 0;
    }
    const slot = h & (INTERN_SLOTS - 1);
    const cached = this.internTable[slot];
    if (cached !== undefined && cached.words.length === length >> 2) {
      if (cached.text.length === length && this.sameBytes(cached)) return cached;
    }
    const text = latin1Slice.call(buf, strStart, strEnd);
    const bytes = Buffer.from(text, "latin1");
    const words = new Uint32Array(length >> 2);
    for (let w = 0; w < words.length; w++) words[w] = bytes.readUInt32LE(w * 4);
    const entry = { text, words, bytes, number: -1 };
    this.internTable[slot] = entry;
    return entry;
  }

  /** Whether the last string read has the bytes of `entry` (compared four at a time). */
  private sameBytes(entry: Interned): boolean {
    const { view, buf, strStart } = this;
    const { words, bytes } = entry;
    for (let w = 0; w < words.length; w++) {
      if (view.getUint32(strStart + w * 4, true) !== words[w]) return false;
    }
    for (let i = words.length * 4; i < bytes.length; i++) {
      if (buf[strStart + i] !== bytes[i]) return false;
    }
    return true;
  }

  /** A string of printable ASCII without escapes; sets strStart/strEnd. */
  private readPlainString(): boolean {
    return this.readString(false);
  }

  /** Any JSON string of ASCII bytes, escapes validated; strStart/strEnd span its raw text. */
  private skipString(): boolean {
    return this.readString(true);
  }

  private readString(escapes: boolean): boolean {
    const buf = this.buf;
    let pos = this.skipSpace();
    if (this.byteAt(pos) !== QUOTE) return false;
    this.strStart = ++pos;
    const lim = this.lim;
    // Four bytes at a time while none of them can be what STRING_BYTE does not call ORDINARY:
    // a quote, a backslash, a byte below 0x20, DEL or above (each term sets a byte's top bit;
    // a borrow or carry may flag an ordinary byte too, never hide a special one).
    const view = this.view;
    while (pos + 4 <= lim) {
      const word = view.getUint32(pos, true);
      const quotes = word ^ 0x22222222;
      const backslashes = word ^ 0x5c5c5c5c;
      const special =
        ((quotes - 0x01010101) & ~quotes) |
        ((backslashes - 0x01010101) & ~backslashes) |
        ((word - 0x20202020) & ~word) |
        (word + 0x01010101) |
        word;
      if ((special & 0x80808080) !== 0) break;
      pos += 4;
    }
    // One table load per byte: most bytes are ordinary and take one branch.
    while (pos < lim) {
      const kind = STRING_BYTE[buf[pos] as number] as number;
      if (kind === ORDINARY) {
        pos++;
        continue;
      }
      if (kind === CLOSING_QUOTE) {
        this.strEnd = pos;
        this.pos = pos + 1;
        return true;
      }
      if (kind !== ESCAPE || !escapes) return false;
      const length = this.escapeLength(pos);
      if (length === 0) return false;
      pos += length;
    }
    return false;
  }

  /** The length of the escape at `at` (`\n`, `\u00e9`, ...), or 0 when it is not one JSON has. */
  private escapeLength(at: number): number {
    const e = this.byteAt(at + 1);
    if (e === 0x75) {
      for (let i = 2; i < 6; i++) if (!isHex(this.byteAt(at + i))) return 0;
      return 6;
    }
    // \" \\ \/ \b \f \n \r \t
    const simple =
      e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e;
    return simple || e === 0x72 || e === 0x74 ? 2 : 0;
  }

  /** A JSON number; sets numValue, numIsInteger, numNegative. */
  private readNumber(): boolean {
    const buf = this.buf;
    const lim = this.lim;
    let pos = this.skipSpace();
    const from = pos;
    this.numNegative = this.byteAt(pos) === MINUS;
    if (this.numNegative) pos++;
    const intStart = pos;
    if (pos >= lim || !isDigit(buf[pos] as number)) return false;
    // The integer part's value is taken on the way (exact while it has at most 15 digits).
    let value = 0;
    if (buf[pos] === ZERO) pos++;
    else {
      while (pos < lim) {
        const digit = (buf[pos] as number) - ZERO;
        if (digit < 0 || digit > 9) break;
        value = value * 10 + digit;
        pos++;
      }
    }
    const intEnd = pos;
    this.numIsInteger = true;
    let fractionDigits = 0;
    if (pos < lim && buf[pos] === DOT) {
      pos++;
      const fractionStart = pos;
      while (pos < lim) {
        const digit = (buf[pos] as number) - ZERO;
        if (digit < 0 || digit > 9) break;
        value = value * 10 + digit;
        pos++;
      }
      fractionDigits = pos - fractionStart;
      if (fractionDigits === 0) return false;
      this.numIsInteger = false;
    }
    const next = pos < lim ? (buf[pos] as number) : -1;
    if (next === 0x65 || next === 0x45) return this.readExponent(from, pos + 1);
    this.pos = pos;
    // At most 15 digits in all: `value` is exact, and so is value / 10^k (one correctly
    // rounded division of two exact doubles), which is what JSON.parse makes of the text.
    if (intEnd - intStart + fractionDigits <= 15) {
      const magnitude =
        fractionDigits === 0 ? value : value / (POWERS_OF_TEN[fractionDigits] as number);
      this.numValue = this.numNegative ? -magnitude : magnitude;
      return true;
    }
    // Number() of a JSON number's text is exactly what JSON.parse makes of it.
    this.numValue = Number(latin1Slice.call(buf, from, pos));
    return Number.isFinite(this.numValue);
  }

  /**
   * The exponent of the number that starts at `from` (Python writes a small cost as `1e-05`),
   * from just after its `e`. The value is Number() of the text, which is JSON.parse's; such a
   * number is never taken as an integer (a token count or a clock so written is left to the
   * full parse).
   */
  private readExponent(from: number, at: number): boolean {
    const buf = this.buf;
    const lim = this.lim;
    let pos = at;
    if (pos < lim && (buf[pos] === PLUS || buf[pos] === MINUS)) pos++;
    const digits = pos;
    while (pos < lim && isDigit(buf[pos] as number)) pos++;
    if (pos === digits) return false;
    this.pos = pos;
    this.numIsInteger = false;
    this.numValue = Number(latin1Slice.call(buf, from, pos));
    return Number.isFinite(this.numValue);
  }

  /** `null`, `true` or `false`: returns 0, 1, 2, or -1 for none of them. */
  private readLiteral(): number {
    const at = this.skipSpace();
    const b = this.byteAt(at);
    const b1 = this.byteAt(at + 1);
    const b2 = this.byteAt(at + 2);
    const b3 = this.byteAt(at + 3);
    if (b === 0x6e && b1 === 0x75 && b2 === 0x6c && b3 === 0x6c) {
      this.pos = at + 4;
      return 0;
    }
    if (b === 0x74 && b1 === 0x72 && b2 === 0x75 && b3 === 0x65) {
      this.pos = at + 4;
      return 1;
    }
    if (b === 0x66 && b1 === 0x61 && b2 === 0x6c && b3 === 0x73 && this.byteAt(at + 4) === 0x65) {
      this.pos = at + 5;
      return 2;
    }
    return -1;
  }

  private nullNext(): boolean {
    return this.byteAt(this.skipSpace()) === 0x6e;
  }

  /** Consumes a `null` if one is next; anything else is left unread. */
  private readNull(): boolean {
    return this.nullNext() && this.readLiteral() === 0;
  }

  /** Any JSON value, validated and not kept. */
  private skipValue(depth: number): boolean {
    const b = this.byteAt(this.skipSpace());
    if (b === QUOTE) return this.skipString();
    if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) return false;
      const isObject = b === OPEN_BRACE;
      const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
      this.pos++;
      if (this.byteAt(this.skipSpace()) === close) {
        this.pos++;
        return true;
      }
      for (;;) {
        if (isObject && !(this.skipString() && this.expect(COLON))) return false;
        if (!this.skipValue(depth + 1)) return false;
        if (this.expect(close)) return true;
        if (!this.expect(COMMA)) return false;
      }
    }
    if (b === MINUS || isDigit(b)) return this.readNumber();
    return this.readLiteral() >= 0;
  }

  /**
   * The next member's key and its colon, as `readKey` reads them, `prev` being the index of
   * the member before (the order's length at the object's start). The fast path: the key that
   * followed `prev` last time, when its bytes are next exactly as our writers write them
   * (`"key": `, no space before); any other key or layout goes the general way, and the order
   * learns what followed.
   */
  private nextKey(table: KeyEntry[][], order: KeyOrder, prev: number): number {
    const predicted = order.follow[prev] as number;
    if (predicted >= 0) {
      const { bytes, eights } = order.tokens[predicted] as KeyOrder["tokens"][number];
      const pos = this.pos;
      const length = bytes.length;
      if (pos + length <= this.lim) {
        const view = this.view;
        const last = eights.length - 1;
        let e = 0;
        while (e < last && view.getFloat64(pos + e * 8, true) === eights[e]) e++;
        if (e === last && view.getFloat64(pos + length - 8, true) === eights[last]) {
          this.pos = pos + length;
          return predicted;
        }
      }
    }
    const key = this.readKey(table);
    if (key >= 0) order.follow[prev] = key;
    return key;
  }

  /**
   * The key of an object member and its colon: its index in `table`, -1 for a key that is not
   * in it, or INVALID (malformed, or an escape: such a key might still name a field).
   */
  private readKey(table: KeyEntry[][]): number {
    const buf = this.buf;
    const at = this.skipSpace() + 1;
    if (this.byteAt(at - 1) !== QUOTE) return INVALID;
    // `& 0xff`: past the limit (-1) reads slot 255, which no key starts with.
    const candidates = table[this.byteAt(at) & 0xff];
    if (candidates !== undefined) {
      const view = this.view;
      for (let c = 0; c < candidates.length; c++) {
        const { rest, words, index } = candidates[c] as KeyEntry;
        const from = at + 1;
        const end = from + rest.length;
        if (end > this.lim) continue;
        let w = 0;
        while (w < words.length && view.getUint32(from + w * 4, true) === words[w]) w++;
        if (w < words.length) continue;
        let i = w * 4;
        while (i < rest.length && buf[from + i] === rest[i]) i++;
        if (i < rest.length) continue;
        // Our writers and Python put `": ` after a key: taken in one step (any other spacing
        // goes the general way).
        if (end + 1 < this.lim && buf[end] === COLON && buf[end + 1] === SPACE) {
          this.pos = end + 2;
          return index;
        }
        this.pos = end;
        return this.expect(COLON) ? index : INVALID;
      }
    }
    this.pos = at - 1;
    return this.readPlainString() && this.expect(COLON) ? -1 : INVALID;
  }

  /** After a member: true at the closing brace, false at a comma, null when malformed. */
  private memberEnd(): boolean | null {
    // The writers' `, ` between members, taken in one step; anything else the general way.
    const at = this.pos;
    if (at + 1 < this.lim && this.buf[at] === COMMA && this.buf[at + 1] === SPACE) {
      this.pos = at + 2;
      return false;
    }
    const b = this.byteAt(this.skipSpace());
    if (b !== CLOSE_BRACE && b !== COMMA) return null;
    this.pos++;
    return b === CLOSE_BRACE;
  }

  private readEnvelope(out: EventFields): boolean {
    if (!this.expect(OPEN_BRACE)) return false;
    if (this.byteAt(this.skipSpace()) === CLOSE_BRACE) return false; // no required key
    let seen = 0;
    let prev = ENVELOPE_KEYS.length;
    for (;;) {
      const key = this.nextKey(ENVELOPE_TABLE, ENVELOPE_ORDER, prev);
      if (key === INVALID) return false;
      if (key < 0) {
        if (!this.skipValue(0)) return false;
      } else {
        if ((seen & (1 << key)) !== 0) return false;
        seen |= 1 << key;
        prev = key;
        if (!this.readEnvelopeValue(key, out)) return false;
      }
      const end = this.memberEnd();
      if (end === null) return false;
      if (end) return (seen & REQUIRED) === REQUIRED;
    }
  }

  private readEnvelopeValue(key: number, out: EventFields): boolean {
    switch (ENVELOPE_KEY_RULE[key]) {
      case EVENT_ID:
        return this.readPlainString() && out.id.decode(this.buf, this.strStart, this.strEnd);
      case EVENT_TYPE:
        if (!this.readPlainString() || this.strEnd === this.strStart) return false;
        out.isExecution = this.bytesEqual(EXECUTION_EVENT);
        return true;
      case AGGREGATE_ID:
        if (!this.readPlainString() || this.strEnd === this.strStart) return false;
        out.aggregateIdText = this.internedNumber();
        return true;
      case NODE_ID:
        // Read as text (for the events' order); one with escapes goes to the full parse.
        if (!this.readPlainString() || this.strEnd === this.strStart) return false;
        out.nodeId = this.internedString();
        return true;
      case LAMPORT_CLOCK: {
        const clock = this.readTokenCount();
        if (typeof clock !== "number" || clock > MAX_LAMPORT_CLOCK) return false;
        out.lamportClock = clock;
        return true;
      }
      case TIMESTAMP:
        return this.readPlainString() && this.readTimestamp(out);
      case CAUSATION_ID:
        if (this.readNull()) return true;
        return (
          this.readPlainString() && this.causation.decode(this.buf, this.strStart, this.strEnd)
        );
      case PAYLOAD:
        this.tokenTarget = this.modelTarget = out;
        return this.readObject(this.payload, 1, out);
      default:
        return false;
    }
  }

  /** An object of the payload (the payload, a model's entry, a long-context entry). */
  private readObject(rules: PayloadRules, depth: number, out: EventFields): boolean {
    if (!this.expect(OPEN_BRACE)) return false;
    if (this.byteAt(this.skipSpace()) === CLOSE_BRACE) {
      this.pos++;
      return true;
    }
    let seen = 0;
    let prev = rules.order.tokens.length;
    for (;;) {
      const key = this.nextKey(rules.table, rules.order, prev);
      if (key === INVALID) return false;
      if (key < 0) {
        if (!this.skipValue(depth)) return false;
      } else {
        if ((seen & (1 << key)) !== 0) return false;
        seen |= 1 << key;
        prev = key;
        if (!this.readPayloadValue(rules, key, depth, out)) return false;
      }
      const end = this.memberEnd();
      if (end === null) return false;
      if (end) return true;
    }
  }

  /**
   * A list of objects (or null): each entry of `models` goes to the event's next model, each
   * long-context entry to the model being read once it is complete.
   */
  private readList(rules: PayloadRules, slot: number, depth: number, out: EventFields): boolean {
    if (this.readNull()) return true;
    if (!this.expect(OPEN_BRACKET)) return false;
    if (this.byteAt(this.skipSpace()) === CLOSE_BRACKET) {
      this.pos++;
      return true;
    }
    const outer = this.tokenTarget;
    for (;;) {
      if (slot === SLOT_CODES.models) {
        const model = out.nextModel();
        this.tokenTarget = this.modelTarget = model;
        if (!this.readObject(rules, depth + 1, out)) return false;
        this.modelTarget = out;
      } else {
        const model = this.modelTarget;
        const entry = this.longContext;
        entry.clear();
        this.tokenTarget = entry;
        if (model === null || model === out || !this.readObject(rules, depth + 1, out)) {
          return false;
        }
        if (!(model as ModelFields).addLongContext(entry)) return false; // a repeated threshold
      }
      this.tokenTarget = outer;
      if (this.expect(CLOSE_BRACKET)) return true;
      if (!this.expect(COMMA)) return false;
    }
  }

  /**
   * A string's number (text-ids.ts) or NULL_TEXT for null; -1 when it is neither (or a string
   * this scanner leaves alone).
   */
  private nullableText(): number {
    if (this.readNull()) return NULL_TEXT;
    return this.readPlainString() ? this.internedNumber() : -1;
  }

  /** A token count (a non-negative safe integer) or null; undefined when neither. */
  private readTokenCount(): number | null | undefined {
    // The common case first: digits right after `": ` (at most 15, so the value is exact), not
    // followed by a fraction or an exponent; anything else the general way.
    const buf = this.buf;
    const from = this.pos;
    const lim = this.lim;
    let pos = from;
    let value = 0;
    while (pos < lim && pos - from < 15) {
      const digit = (buf[pos] as number) - ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      pos++;
    }
    if (pos > from && (buf[from] !== ZERO || pos === from + 1) && pos < lim) {
      const next = buf[pos];
      if (next === COMMA || next === CLOSE_BRACE) {
        this.pos = pos;
        return value;
      }
    }
    if (this.nullNext()) return this.readLiteral() === 0 ? null : undefined;
    const ok =
      this.readNumber() &&
      this.numIsInteger &&
      !this.numNegative &&
      Number.isSafeInteger(this.numValue);
    return ok ? this.numValue : undefined;
  }

  /** A payload value by its field's kind (nulls are allowed for every field). */
  private readPayloadValue(
    rules: PayloadRules,
    key: number,
    depth: number,
    out: EventFields,
  ): boolean {
    const slot = rules.slot[key];
    switch (rules.kind[key]) {
      case TEXT: {
        if (slot === NOT_READ)
          return this.nullNext() ? this.readLiteral() === 0 : this.skipString();
        const value = this.nullableText();
        if (value < 0) return false;
        if (slot === SLOT_CODES.wpId) out.wpIdText = value;
        else if (slot === SLOT_CODES.agent) out.agentText = value;
        else if (slot === SLOT_CODES.role) out.roleText = value;
        else if (this.modelTarget !== null) this.modelTarget.modelText = value;
        return true;
      }
      case TOKENS: {
        const value = this.readTokenCount();
        if (value === undefined) return false;
        const target = this.tokenTarget;
        if (slot === SLOT_CODES.inputTokens) target.inputTokens = value;
        else if (slot === SLOT_CODES.outputTokens) target.outputTokens = value;
        else if (slot === SLOT_CODES.cacheReadTokens) target.cacheReadTokens = value;
        else if (slot === SLOT_CODES.cacheWriteTokens) target.cacheWriteTokens = value;
        else if (slot === SLOT_CODES.cacheWrite1hTokens) target.cacheWrite1hTokens = value;
        else if (slot === SLOT_CODES.aboveTokens && target instanceof LongContextFields) {
          target.aboveTokens = value;
        }
        return true;
      }
      case USD:
      case NON_NEGATIVE:
        if (this.nullNext()) return this.readLiteral() === 0;
        if (!this.readNumber() || this.numNegative) return false;
        if (slot === SLOT_CODES.costUsd && this.modelTarget !== null) {
          this.modelTarget.costUsd = this.numValue;
        }
        return true;
      case INTEGER:
        if (this.nullNext()) return this.readLiteral() === 0;
        return this.readNumber() && this.numIsInteger;
      case BOOLEAN: {
        const literal = this.readLiteral();
        if (literal < 0) return false;
        if (slot === SLOT_CODES.success) out.success = literal === 0 ? null : literal === 1;
        return true;
      }
      case ENUM: {
        if (this.readNull()) return true;
        if (!this.readPlainString()) return false;
        const values = rules.enumValues[key] ?? [];
        for (let i = 0; i < values.length; i++) {
          if (!this.bytesEqual(values[i] as Uint8Array)) continue;
          // The definition's own string: no string is made per line.
          if (slot === SLOT_CODES.source) out.sourceText = rules.enumTexts[key]?.[i] ?? NULL_TEXT;
          return true;
        }
        return false;
      }
      case LIST: {
        const nested = rules.nested[key];
        return nested != null && this.readList(nested, slot as number, depth, out);
      }
      default:
        return false;
    }
  }

  /**
   * The canonical timestamp form only (`2026-02-16T09:12:58.036834+00:00`, or without the
   * fraction), its epoch microseconds computed exactly as `epochMicros` computes them. Every
   * byte read is inside the string just read (so before `lim`): read without bounds checks.
   */
  private readTimestamp(out: EventFields): boolean {
    const s = this.strStart;
    const length = this.strEnd - s;
    const hasFraction = length === 32;
    if (!(length === 25 || hasFraction)) return false;
    const buf = this.buf;
    if (buf[s + 4] !== MINUS || buf[s + 7] !== MINUS || buf[s + 10] !== 0x54) return false;
    if (buf[s + 13] !== COLON || buf[s + 16] !== COLON) return false;
    const century = twoDigits(buf, s);
    const years = twoDigits(buf, s + 2);
    const month = twoDigits(buf, s + 5);
    const day = twoDigits(buf, s + 8);
    const hour = twoDigits(buf, s + 11);
    const minute = twoDigits(buf, s + 14);
    const second = twoDigits(buf, s + 17);
    if (century < 0 || years < 0 || month < 0 || day < 0) return false; // not digits
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return false;
    }
    const year = century * 100 + years;
    // Consecutive lines mostly share a date: check it and find its midnight once.
    const date = year * 10_000 + month * 100 + day;
    if (date !== this.lastDate) {
      if (year < 100 || month < 1 || month > 12 || day < 1) return false;
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return false;
      this.lastDate = date;
      this.lastMidnight = Date.UTC(year, month - 1, day) / 1000;
    }
    let at = s + 19;
    let fraction = 0;
    if (hasFraction) {
      if (buf[at] !== DOT) return false;
      const high = twoDigits(buf, at + 1);
      const middle = twoDigits(buf, at + 3);
      const low = twoDigits(buf, at + 5);
      if (high < 0 || middle < 0 || low < 0) return false;
      fraction = high * 10_000 + middle * 100 + low;
      at += 7;
    }
    const sign = buf[at];
    if ((sign !== PLUS && sign !== MINUS) || buf[at + 3] !== COLON) return false;
    const offsetHours = twoDigits(buf, at + 1);
    const offsetMinutes = twoDigits(buf, at + 4);
    if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) {
      return false;
    }
    // Whole seconds, so this is exactly Date.UTC(year, month - 1, day, hour, minute, second) / 1000.
    const seconds = this.lastMidnight + hour * 3600 + minute * 60 + second;
    const offsetSeconds = (sign === MINUS ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
    out.micros = (seconds - offsetSeconds) * 1_000_000 + fraction;
    return true;
  }
}

const scanner = new LineScanner(PAYLOAD_FIELDS);
