import type { Event } from "../../events/event.js";
import { epochMicros } from "../../events/timestamp.js";
import {
  EXECUTION_EVENT_TYPE,
  LONG_CONTEXT_FIELDS,
  LONG_CONTEXT_THRESHOLDS,
  MODEL_USAGE_FIELDS,
  PAYLOAD_FIELDS,
  type PayloadFieldDefinition,
} from "../execution-payload.js";
import { IdKey } from "./id-set.js";
import { EMPTY_TEXT, NULL_TEXT, textNumber, textOf } from "./text-ids.js";

/** The entries of `models` an EventFields holds from the start (more are added as lines need). */
const MODELS_AHEAD = 4;

/** The token classes a long-context entry sums, in the order `ModelFields.longContext` holds them. */
const LONG_CONTEXT_CLASSES = 5;

/** The long-context entry being read: its threshold and its sums (nulls read as 0). */
export class LongContextFields {
  aboveTokens: number | null = null;
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  cacheReadTokens: number | null = null;
  cacheWriteTokens: number | null = null;
  cacheWrite1hTokens: number | null = null;

  clear(): void {
    this.aboveTokens = this.inputTokens = this.outputTokens = null;
    this.cacheReadTokens = this.cacheWriteTokens = this.cacheWrite1hTokens = null;
  }
}

/** What a report needs of one entry of an event's `models`. */
export class ModelFields {
  /** The model's number (text-ids.ts): what the scanner sets and rows are keyed by. */
  modelText = NULL_TEXT;
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  cacheReadTokens: number | null = null;
  cacheWriteTokens: number | null = null;
  cacheWrite1hTokens: number | null = null;
  /** The reported cost of this model's share; NaN when there is none. */
  costUsd = Number.NaN;
  /**
   * Per LONG_CONTEXT_THRESHOLDS index, LONG_CONTEXT_CLASSES sums (input, output, cache read,
   * cache write, 1-hour cache write); an index counts only where `longContextSeen` has its bit.
   */
  readonly longContext = new Float64Array(LONG_CONTEXT_THRESHOLDS.length * LONG_CONTEXT_CLASSES);
  longContextSeen = 0;

  get model(): string | null {
    return textOf(this.modelText);
  }

  set model(text: string | null) {
    this.modelText = textNumber(text);
  }

  clear(): void {
    this.modelText = NULL_TEXT;
    this.inputTokens = this.outputTokens = this.cacheReadTokens = null;
    this.cacheWriteTokens = this.cacheWrite1hTokens = null;
    this.costUsd = Number.NaN;
    this.longContextSeen = 0;
  }

  /**
   * Keeps a long-context entry read into `entry`: false when its threshold is already there (a
   * repeated entry); an entry at a threshold no table prices (or none) is ignored.
   */
  addLongContext(entry: LongContextFields): boolean {
    const index = LONG_CONTEXT_THRESHOLDS.indexOf(entry.aboveTokens as 128_000);
    if (index < 0) return true;
    const bit = 1 << index;
    const repeated = (this.longContextSeen & bit) !== 0;
    this.longContextSeen |= bit;
    const at = index * LONG_CONTEXT_CLASSES;
    const sums = this.longContext;
    sums[at] = entry.inputTokens ?? 0;
    sums[at + 1] = entry.outputTokens ?? 0;
    sums[at + 2] = entry.cacheReadTokens ?? 0;
    sums[at + 3] = entry.cacheWriteTokens ?? 0;
    sums[at + 4] = entry.cacheWrite1hTokens ?? 0;
    return !repeated;
  }
}

/**
 * What a report needs of one valid event. One instance is reused for every line of a scan
 * (filled by the fast line scanner, or from a fully parsed event), so a scan allocates no
 * object per line.
 */
export class EventFields {
  readonly id = new IdKey();
  isExecution = false;
  // The key's texts by their numbers (text-ids.ts): the scanner sets these, rows are keyed by
  // them; the getters and setters below read and write them as strings.
  aggregateIdText = EMPTY_TEXT;
  agentText = NULL_TEXT;
  modelText = NULL_TEXT;
  roleText = NULL_TEXT;
  wpIdText = NULL_TEXT;
  sourceText = NULL_TEXT;
  success: boolean | null = null;
  /** The timestamp in microseconds since the epoch. */
  micros = 0;
  /**
   * The envelope's clock and node: the order events are listed in (compareEvents). The clock
   * starts as a double (NaN: none read yet), not 0: a clock read by the scanner's general number
   * path comes as a double, and storing one into a field V8 had laid out for small integers
   * changed the class's layout mid-scan, which threw away the optimized code of a dozen scanner
   * and row functions in each thread (each compiled again).
   */
  lamportClock = Number.NaN;
  nodeId = "";
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  cacheReadTokens: number | null = null;
  cacheWriteTokens: number | null = null;
  cacheWrite1hTokens: number | null = null;
  /** The reported cost; NaN when there is none (a number field: no allocation per line). */
  costUsd = Number.NaN;
  /** The entries of `models` read, the first `modelCount` of them (reused from line to line). */
  readonly models: ModelFields[] = [];
  modelCount = 0;

  constructor() {
    // A few entries made ahead, by the code that makes more: the list holds objects from the
    // start, and that code has run once. Growing it first while the scan ran optimized (a line
    // with more models than any before) threw that code away in each thread.
    for (let i = 0; i < MODELS_AHEAD; i++) this.#addModel();
  }

  #addModel(): void {
    this.models.push(new ModelFields());
  }

  get aggregateId(): string {
    return textOf(this.aggregateIdText) ?? "";
  }

  set aggregateId(text: string) {
    this.aggregateIdText = textNumber(text);
  }

  get agent(): string | null {
    return textOf(this.agentText);
  }

  set agent(text: string | null) {
    this.agentText = textNumber(text);
  }

  get model(): string | null {
    return textOf(this.modelText);
  }

  set model(text: string | null) {
    this.modelText = textNumber(text);
  }

  get role(): string | null {
    return textOf(this.roleText);
  }

  set role(text: string | null) {
    this.roleText = textNumber(text);
  }

  get wpId(): string | null {
    return textOf(this.wpIdText);
  }

  set wpId(text: string | null) {
    this.wpIdText = textNumber(text);
  }

  /** Where the event came from (`orchestrate`, `emit`, `import`); null in older logs. */
  get source(): string | null {
    return textOf(this.sourceText);
  }

  set source(text: string | null) {
    this.sourceText = textNumber(text);
  }

  /** Empties the payload's fields (a payload without them reads as nulls). */
  clearPayload(): void {
    this.agentText = this.modelText = this.roleText = this.wpIdText = this.sourceText = NULL_TEXT;
    this.success = null;
    this.inputTokens = this.outputTokens = this.cacheReadTokens = this.cacheWriteTokens = null;
    this.cacheWrite1hTokens = null;
    this.costUsd = Number.NaN;
    this.modelCount = 0;
  }

  /** A cleared entry for the next model of `models`. */
  nextModel(): ModelFields {
    if (this.modelCount === this.models.length) this.#addModel();
    const model = this.models[this.modelCount++] as ModelFields;
    model.clear();
    return model;
  }

  /** Fills in from an event the full parse accepted. */
  fromEvent(event: Event): this {
    const idBytes = Buffer.from(event.event_id, "latin1");
    this.id.decode(idBytes, 0, idBytes.length);
    this.isExecution = event.event_type === EXECUTION_EVENT_TYPE;
    this.aggregateId = event.aggregate_id;
    this.micros = epochMicros(event.timestamp);
    this.lamportClock = event.lamport_clock;
    this.nodeId = event.node_id;
    this.clearPayload();
    // The same fields the line scanner fills, from the same definition.
    fill(this, PAYLOAD_FIELDS, event.payload);
    return this;
  }
}

type Target = EventFields | ModelFields | LongContextFields;
const longContextScratch = new LongContextFields();

function fill(target: Target, fields: readonly PayloadFieldDefinition[], values: object): void {
  for (const field of fields) {
    if (!("report" in field) || field.report === undefined) continue;
    const value: unknown = Reflect.get(values, field.name);
    switch (field.kind) {
      case "text":
      case "enum":
        Reflect.set(target, field.report, typeof value === "string" ? value : null);
        break;
      case "tokens":
        Reflect.set(target, field.report, typeof value === "number" ? value : null);
        break;
      case "usd":
        Reflect.set(target, field.report, typeof value === "number" ? value : Number.NaN);
        break;
      case "boolean":
        Reflect.set(target, field.report, typeof value === "boolean" ? value : null);
        break;
      case "list":
        if (!Array.isArray(value)) break;
        for (const item of value as object[]) {
          if (target instanceof EventFields) {
            fill(target.nextModel(), MODEL_USAGE_FIELDS, item);
          } else if (target instanceof ModelFields) {
            longContextScratch.clear();
            fill(longContextScratch, LONG_CONTEXT_FIELDS, item);
            // A repeated threshold: the last entry's sums, as JSON.parse keeps a repeated key's.
            target.addLongContext(longContextScratch);
          }
        }
        break;
    }
  }
}
