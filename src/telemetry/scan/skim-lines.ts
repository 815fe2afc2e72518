import type { FileHandle } from "node:fs/promises";
import { EventFields } from "./event-fields.js";
import { IdKey } from "./id-set.js";
import { type EventObserver, observeLine, parseLine } from "./observe-lines.js";

export interface SkimOptions {
  /** How many of the highest ULIDs the observer keeps (the rest it only bounds). */
  readonly newestIds: number;
  /** Called with each chunk read and its file offset, in file order. */
  readonly onChunk?: ((bytes: Uint8Array, position: number) => void) | undefined;
}

/**
 * `observeLines` for the emit index, at a fraction of its cost on a big log: the index keeps
 * only the highest clock, the highest ULIDs and a count of the other ids, so most lines need
 * not be validated at all.
 *
 * A valid event has one top-level `"event_id"` and one `"lamport_clock"` key. In a line with no
 * backslash, a key can only be spelled so; so when the line holds each of these byte strings
 * exactly once, and the value after it reads plainly (a 26-character ULID, an integer), that is
 * the value the full parse would read IF the line is valid. Such a line is "skimmed": its id and
 * clock are read there, nothing else. Every other line is read as `observeLines` reads it.
 * A skimmed line may be invalid, so it only makes a candidate: the lines with the highest
 * skimmed clocks and ids are kept by offset, and after the walk only those are read again with
 * the full parse, the invalid ones dropped. So the observer ends as `observeLines` would leave
 * it: the same highest clock (the best valid candidate's), the same highest ULIDs, every other
 * id. Returns the offset after the last whole line, or null when the candidates kept cannot
 * tell (too many invalid ones at the top, a line longer than the read buffer): the caller then
 * reads the log with `observeLines`.
 */
export async function skimLines(
  log: FileHandle,
  start: number,
  observer: EventObserver,
  options: SkimOptions,
): Promise<number | null> {
  const clocks = new TopGroups(CLOCK_GROUPS);
  const ids = new TopGroups(options.newestIds + SPARE_IDS);
  const fields = new EventFields();
  const skimmed = new Skimmed();
  let buffer = Buffer.allocUnsafe(CARRY_ROOM + CHUNK);
  let spare = Buffer.allocUnsafe(CARRY_ROOM + CHUNK);
  let position = start;
  let dataStart = CARRY_ROOM;
  let reading = log.read(buffer, CARRY_ROOM, CHUNK, position);
  for (;;) {
    const { bytesRead } = await reading;
    options.onChunk?.(buffer.subarray(CARRY_ROOM, CARRY_ROOM + bytesRead), position);
    const base = position - CARRY_ROOM; // the file offset of buffer[0]
    if (bytesRead === 0) break; // a line without `\n` is left out: it may still grow
    position += bytesRead;
    reading = log.read(spare, CARRY_ROOM, CHUNK, position);
    const bytes = buffer.subarray(0, CARRY_ROOM + bytesRead);
    const end = bytes.length;
    // Each searched chunk-wide, so each place is found once: the next backslash, the next
    // `"event_id"`, the next `"lamport_clock"` (at or after `from` when not below it).
    let backslash = nextByte(bytes, BACKSLASH, dataStart);
    let idKey = -1;
    let clockKey = -1;
    let from = dataStart;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, from);
      if (newline === -1) break;
      const at = base + from;
      let usual = backslash > newline;
      if (usual) {
        if (idKey < from) idKey = nextKey(bytes, from, ID_KEY);
        if (clockKey < from) clockKey = nextKey(bytes, from, CLOCK_KEY);
        const id = idKey;
        const clock = clockKey;
        usual = id < newline && clock < newline;
        if (usual) {
          idKey = nextKey(bytes, id + 1, ID_KEY);
          clockKey = nextKey(bytes, clock + 1, CLOCK_KEY);
          usual =
            idKey > newline &&
            clockKey > newline &&
            skimmed.readId(bytes, id + ID_KEY.whole.length, newline) &&
            skimmed.readClock(bytes, clock + CLOCK_KEY.whole.length, newline);
        }
      } else {
        backslash = nextByte(bytes, BACKSLASH, newline);
      }
      if (usual) {
        const length = newline - from;
        if (!clocks.offer(skimmed.clockKey, at, length)) return failed(reading);
        if (!ids.offer(skimmed.idKey, at, length)) return failed(reading);
      } else {
        observeLine(bytes, from, newline, at === 0, fields, observer);
      }
      from = newline + 1;
    }
    const carried = end - from;
    if (carried > CARRY_ROOM) return failed(reading); // a line too long to carry: rare
    buffer.copy(spare, CARRY_ROOM - carried, from, end);
    dataStart = CARRY_ROOM - carried;
    [buffer, spare] = [spare, buffer];
  }
  const settled =
    (await settleClock(log, clocks, observer)) &&
    (await settleIds(log, ids, observer, options.newestIds));
  return settled ? position - (CARRY_ROOM - dataStart) : null;
}

async function failed(reading: Promise<unknown>): Promise<null> {
  await reading.catch(() => undefined); // a read still in flight must end before the caller goes on
  return null;
}

/**
 * Observes the valid candidate with the highest clock. False when none is valid and lines
 * were dropped (one of those may hold the highest valid clock).
 */
async function settleClock(
  log: FileHandle,
  clocks: TopGroups,
  observer: EventObserver,
): Promise<boolean> {
  for (let group = clocks.highest(); group !== -1; group = clocks.below(group)) {
    const first = clocks.firstOf(group);
    for (let line = group; line >= first; line--) {
      const event = await readCandidate(log, clocks.offsetOf(line), clocks.lengthOf(line));
      if (event !== null) {
        observer.observe(event);
        return true;
      }
    }
  }
  return !clocks.dropped;
}

/**
 * Observes every valid candidate id (all the lines of an id are tried, as one may be invalid
 * and another not). False when lines were dropped and no more than `newest` ids were found
 * valid: a dropped one may then belong among the newest.
 */
async function settleIds(
  log: FileHandle,
  ids: TopGroups,
  observer: EventObserver,
  newest: number,
): Promise<boolean> {
  let valid = 0;
  for (let group = ids.highest(); group !== -1; group = ids.below(group)) {
    const first = ids.firstOf(group);
    for (let line = group; line >= first; line--) {
      const event = await readCandidate(log, ids.offsetOf(line), ids.lengthOf(line));
      if (event !== null) {
        observer.observe(event);
        valid++;
        break;
      }
    }
  }
  return !ids.dropped || valid > newest;
}

/** The candidate line's event by the full parse; null when it is not a valid event. */
async function readCandidate(log: FileHandle, offset: number, length: number) {
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await log.read(bytes, done, length - done, offset + done);
    if (bytesRead === 0) return null;
    done += bytesRead;
  }
  return parseLine(bytes, 0, length, offset === 0);
}

/**
 * The first `"event_id"` (or `"lamport_clock"`) at or after `from`, or the end: searched by
 * the key's tail, whose first byte is rare in a log line, then checked in place.
 */
function nextKey(bytes: Buffer, from: number, key: SearchKey): number {
  for (let at = from + key.lead; ; at++) {
    at = bytes.indexOf(key.tail, at);
    if (at === -1) return bytes.length;
    if (startsWith(bytes, at - key.lead, key.whole)) return at - key.lead;
  }
}

interface SearchKey {
  readonly whole: Buffer;
  readonly tail: Buffer;
  /** The bytes of `whole` before `tail`. */
  readonly lead: number;
}

function searchKey(whole: string, tail: string): SearchKey {
  return { whole: Buffer.from(whole), tail: Buffer.from(tail), lead: whole.length - tail.length };
}

const ID_KEY = searchKey('"event_id"', 'vent_id"');
const CLOCK_KEY = searchKey('"lamport_clock"', 'k"');

function startsWith(bytes: Uint8Array, at: number, part: Uint8Array): boolean {
  if (at < 0 || at + part.length > bytes.length) return false;
  for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false;
  return true;
}

const QUOTE = 0x22;
const COLON = 0x3a;
const SPACE = 0x20;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;
const ULID_LENGTH = 26;
/** Up to 15 digits a double holds exactly (the clock's ceiling, 2^48 - 1, has 15). */
const MAX_CLOCK_DIGITS = 15;

/** The id and clock read from a line, as the keys TopGroups orders them by. */
class Skimmed {
  readonly id = new IdKey();
  readonly idKey = new Float64Array(KEY_WIDTH);
  readonly clockKey = new Float64Array(KEY_WIDTH);

  /** Reads `: "<ULID>"` from `at` (before `to`); false when the value is not that. */
  readId(bytes: Uint8Array, at: number, to: number): boolean {
    let p = afterColon(bytes, at);
    if (p === -1 || bytes[p] !== QUOTE || p + ULID_LENGTH + 2 > to) return false;
    p++;
    if (bytes[p + ULID_LENGTH] !== QUOTE || !this.id.decode(bytes, p, p + ULID_LENGTH))
      return false;
    const words = this.id.words;
    for (let i = 0; i < 4; i++) this.idKey[i] = words[i] as number;
    this.idKey[4] = this.id.tag;
    return true;
  }

  /** Reads `: <digits>` then `,` or `}` from `at` (before `to`); false when it is not that. */
  readClock(bytes: Uint8Array, at: number, to: number): boolean {
    const digits = afterColon(bytes, at);
    if (digits === -1) return false;
    let p = digits;
    let clock = 0;
    while (p < to && (bytes[p] as number) >= ZERO && (bytes[p] as number) <= NINE) {
      clock = clock * 10 + ((bytes[p] as number) - ZERO);
      p++;
    }
    // Then a comma or the end of the object: not a fraction or an exponent. (A leading zero is
    // not JSON: such a line is invalid, and the full parse refuses it if it comes to decide.)
    if (p === digits || p - digits > MAX_CLOCK_DIGITS || p >= to) return false;
    if (bytes[p] !== COMMA && bytes[p] !== CLOSE_BRACE) return false;
    this.clockKey[0] = clock;
    return true;
  }
}

/** After a key: the offset past `:` and one optional space; -1 when the key is not followed so. */
function afterColon(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== COLON) return -1;
  return bytes[at + 1] === SPACE ? at + 2 : at + 1;
}

function nextByte(bytes: Buffer, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at === -1 ? bytes.length : at;
}

const KEY_WIDTH = 5;

/**
 * The lines with the highest keys (a clock, or an id as its four words and tag), grouped by key:
 * every line of the `keep` highest distinct keys offered, by offset and length. Keys at or below
 * the highest dropped one are refused from then on. Kept ascending in flat arrays, so that a log
 * in ascending order (the usual one) appends at the end and drops at the start.
 */
class TopGroups {
  readonly #keys: Float64Array;
  readonly #offsets: Float64Array;
  readonly #lengths: Float64Array;
  readonly #capacity: number;
  #lo = 0;
  #hi = 0;
  #groups = 0;
  readonly #bar = new Float64Array(KEY_WIDTH);
  /** Whether some key was dropped (then `#bar` is the highest dropped). */
  dropped = false;

  readonly keep: number;

  constructor(keep: number) {
    this.keep = keep;
    this.#capacity = keep * 16;
    this.#keys = new Float64Array(this.#capacity * KEY_WIDTH);
    this.#offsets = new Float64Array(this.#capacity);
    this.#lengths = new Float64Array(this.#capacity);
  }

  /** Takes note of a line; false when too many lines share the top keys to keep them all. */
  offer(key: Float64Array, offset: number, length: number): boolean {
    const keys = this.#keys;
    let at = this.#hi;
    // Ascending keys (one writer's log) go last; others are placed by a binary search.
    const last = at > this.#lo ? compareKeys(key, 0, keys, (at - 1) * KEY_WIDTH) : 1;
    if (last <= 0) {
      if (this.dropped && compareKeys(key, 0, this.#bar, 0) <= 0) return true;
      let lo = this.#lo;
      let hi = at;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareKeys(key, 0, keys, mid * KEY_WIDTH) >= 0) lo = mid + 1;
        else hi = mid;
      }
      at = lo;
    }
    const isNew =
      last > 0 || at === this.#lo || compareKeys(key, 0, keys, (at - 1) * KEY_WIDTH) !== 0;
    if (this.#hi === this.#capacity) {
      if (this.#lo === 0) return false;
      this.#shiftDown(this.#lo, this.#hi, this.#lo);
      at -= this.#lo;
      this.#hi -= this.#lo;
      this.#lo = 0;
    }
    if (at < this.#hi) this.#shiftUp(at, this.#hi);
    for (let i = 0; i < KEY_WIDTH; i++) keys[at * KEY_WIDTH + i] = key[i] as number;
    this.#offsets[at] = offset;
    this.#lengths[at] = length;
    this.#hi++;
    if (isNew && ++this.#groups > this.keep) this.#dropLowest();
    return true;
  }

  /** The last line of the highest group (-1: none); lines of a group go down from it. */
  highest(): number {
    return this.#hi > this.#lo ? this.#hi - 1 : -1;
  }

  /** The first line of the group whose last line is `line`. */
  firstOf(line: number): number {
    const keys = this.#keys;
    let at = line;
    while (at > this.#lo && compareKeys(keys, (at - 1) * KEY_WIDTH, keys, line * KEY_WIDTH) === 0) {
      at--;
    }
    return at;
  }

  /** The last line of the next lower group than the one ending at `line` (-1: none). */
  below(line: number): number {
    const first = this.firstOf(line);
    return first > this.#lo ? first - 1 : -1;
  }

  offsetOf(line: number): number {
    return this.#offsets[line] as number;
  }

  lengthOf(line: number): number {
    return this.#lengths[line] as number;
  }

  #dropLowest(): void {
    const keys = this.#keys;
    const bar = this.#bar;
    for (let i = 0; i < KEY_WIDTH; i++) bar[i] = keys[this.#lo * KEY_WIDTH + i] as number;
    do this.#lo++;
    while (this.#lo < this.#hi && compareKeys(keys, this.#lo * KEY_WIDTH, bar, 0) === 0);
    this.#groups--;
    this.dropped = true;
  }

  #shiftUp(from: number, to: number): void {
    this.#keys.copyWithin((from + 1) * KEY_WIDTH, from * KEY_WIDTH, to * KEY_WIDTH);
    this.#offsets.copyWithin(from + 1, from, to);
    this.#lengths.copyWithin(from + 1, from, to);
  }

  #shiftDown(from: number, to: number, by: number): void {
    this.#keys.copyWithin((from - by) * KEY_WIDTH, from * KEY_WIDTH, to * KEY_WIDTH);
    this.#offsets.copyWithin(from - by, from, to);
    this.#lengths.copyWithin(from - by, from, to);
  }
}

function compareKeys(a: Float64Array, at: number, b: Float64Array, bt: number): number {
  for (let i = 0; i < KEY_WIDTH; i++) {
    const d = (a[at + i] as number) - (b[bt + i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const CHUNK = 1 << 20;
const CARRY_ROOM = 64 << 10;
/** Distinct clocks kept: room for that many invalid lines above the highest valid clock. */
const CLOCK_GROUPS = 64;
/** Ids kept beyond those the observer keeps: room for that many invalid lines among them. */
const SPARE_IDS = 64;
