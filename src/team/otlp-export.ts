import { ExportResultCode } from "@opentelemetry/core";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { CodedError } from "../events/errors.js";
import type { Event } from "../events/event.js";
import { eventCost } from "../telemetry/cost.js";
import { EXECUTION_EVENT_TYPE } from "../telemetry/execution-payload.js";
import { listFeatureDirs } from "../telemetry/features.js";
import type { PricingTable } from "../telemetry/pricing.js";
import { streamExecutionEvents } from "../telemetry/query.js";
import type { WarningSink } from "../telemetry/warnings.js";
import { SentIds } from "./export-state.js";
import { eventSpan, genAiAttributes } from "./otlp-spans.js";

export type OtlpExportErrorCode = "OTLP_BAD_URL" | "OTLP_EXPORT_FAILED";

/** The destination is not a usable URL, or it did not take what was sent. */
export class OtlpExportError extends CodedError<OtlpExportErrorCode> {}

export interface OtlpExportOptions {
  readonly repoRoot: string;
  /** The OTLP/HTTP endpoint's base URL (`http://collector:4318`); `/v1/traces` is added. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A feature folder prefix or glob; all features when absent. */
  readonly feature?: string | undefined;
  readonly pricing: PricingTable;
  readonly warn: WarningSink;
  /** Count what would be sent, send nothing. */
  readonly dryRun?: boolean;
  /** Spans per request (default 512). */
  readonly batchSize?: number;
  /** The time for one request, its retries included (default 10 s). */
  readonly timeoutMs?: number;
}

export interface OtlpExportResult {
  /** Events sent now (or that would be, on a dry run). */
  readonly sent: number;
  /** Events skipped because this destination already has them. */
  readonly alreadySent: number;
}

const SCOPE = { name: "spec-kitty-telemetry", version: "0.1.0" } as const;
// The GenAI conventions' advised buckets: tokens by powers of 4, seconds by powers of 2.
const TOKEN_BUCKETS = Array.from({ length: 14 }, (_, i) => 4 ** i);
const SECOND_BUCKETS = Array.from({ length: 14 }, (_, i) => 0.01 * 2 ** i);

/** The base URL without a trailing `/v1/traces` or slash; refused unless http(s). */
export function otlpBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OtlpExportError(
      "OTLP_BAD_URL",
      `--otlp ${url}: not a URL (e.g. http://localhost:4318)`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new OtlpExportError(
      "OTLP_BAD_URL",
      `--otlp ${url}: only http:// and https:// are supported`,
    );
  }
  return parsed.href.replace(/\/v1\/(traces|metrics)\/?$/, "").replace(/\/+$/, "");
}

/** Collects on demand only: the export sends once, when every span is acknowledged. */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * Sends the project's events not yet sent to `url` as `invoke_agent` spans (and the token and
 * duration histograms of those events), in batches; each acknowledged batch is recorded at
 * once, so an export killed midway resumes where it stopped and a second export sends nothing.
 */
export async function exportToOtlp(options: OtlpExportOptions): Promise<OtlpExportResult> {
  const base = otlpBaseUrl(options.url);
  const sentIds = await SentIds.load(options.repoRoot, base);
  const resource = resourceFromAttributes({ "service.name": "spec-kitty" });
  const timeoutMillis = options.timeoutMs ?? 10_000;
  const headers = { ...options.headers };
  const traces = new OTLPTraceExporter({ url: `${base}/v1/traces`, headers, timeoutMillis });
  const metricsExporter = new OTLPMetricExporter({
    url: `${base}/v1/metrics`,
    headers,
    timeoutMillis,
    temporalityPreference: AggregationTemporalityPreference.DELTA,
  });
  const reader = new OnDemandReader({
    aggregationTemporalitySelector: (kind) => metricsExporter.selectAggregationTemporality(kind),
  });
  const meter = new MeterProvider({ resource, readers: [reader] }).getMeter(SCOPE.name);
  const tokens = meter.createHistogram("gen_ai.client.token.usage", {
    unit: "{token}",
    description: "Tokens used by each agent invocation",
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  const duration = meter.createHistogram("gen_ai.client.operation.duration", {
    unit: "s",
    description: "Duration of each agent invocation",
    advice: { explicitBucketBoundaries: SECOND_BUCKETS },
  });
  let sent = 0;
  let alreadySent = 0;
  let batch: { span: ReadableSpan; id: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const spans = batch.map((b) => b.span);
    if (!options.dryRun) await send(traces, spans, base, sent);
    if (!options.dryRun) await sentIds.add(batch.map((b) => b.id));
    sent += batch.length;
    batch = [];
  };
  const seen = new Set<string>();
  try {
    for await (const event of projectEvents(options)) {
      // A log merged from two branches may hold an event twice; it is one span.
      if (seen.has(event.event_id)) continue;
      seen.add(event.event_id);
      if (sentIds.has(event.event_id)) {
        alreadySent += 1;
        continue;
      }
      batch.push({
        id: event.event_id,
        span: eventSpan(event, eventCost(event, options.pricing), resource, SCOPE),
      });
      recordMetrics(event, tokens, duration);
      if (batch.length >= (options.batchSize ?? 512)) await flush();
    }
    await flush();
    if (!options.dryRun && sent > 0) await sendMetrics(reader, metricsExporter, base, options.warn);
  } finally {
    await Promise.allSettled([traces.shutdown(), metricsExporter.shutdown()]);
  }
  return { sent, alreadySent };
}

async function* projectEvents(options: OtlpExportOptions): AsyncGenerator<Event> {
  const features = await listFeatureDirs(options.repoRoot, {
    pattern: options.feature,
    warn: options.warn,
  });
  const filter = { eventType: EXECUTION_EVENT_TYPE };
  for (const { dir } of features) yield* streamExecutionEvents(dir, filter, { warn: options.warn });
}

type Histogram = ReturnType<ReturnType<MeterProvider["getMeter"]>["createHistogram"]>;

function recordMetrics(event: Event, tokens: Histogram, duration: Histogram): void {
  const p = event.payload as Readonly<Record<string, unknown>>;
  const usage = genAiAttributes(p);
  const common = {
    "gen_ai.operation.name": "invoke_agent",
    ...(typeof p.agent === "string" ? { "gen_ai.agent.name": p.agent } : {}),
    ...(typeof p.model === "string" ? { "gen_ai.request.model": p.model } : {}),
  };
  tokens.record(Number(usage["gen_ai.usage.input_tokens"]), {
    ...common,
    "gen_ai.token.type": "input",
  });
  tokens.record(Number(usage["gen_ai.usage.output_tokens"]), {
    ...common,
    "gen_ai.token.type": "output",
  });
  if (typeof p.duration_ms === "number") duration.record(p.duration_ms / 1000, common);
}

function send(
  exporter: OTLPTraceExporter,
  spans: ReadableSpan[],
  base: string,
  done: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) return resolve();
      const reason = result.error?.message ?? "no reason given";
      reject(
        new OtlpExportError(
          "OTLP_EXPORT_FAILED",
          `OTLP export to ${base}/v1/traces failed after ${done} events were sent: ${reason} (run it again to send the rest)`,
        ),
      );
    });
  });
}

/** The histograms of what was sent; a failure here is a warning (the spans are the record). */
async function sendMetrics(
  reader: OnDemandReader,
  exporter: OTLPMetricExporter,
  base: string,
  warn: WarningSink,
): Promise<void> {
  const { resourceMetrics } = await reader.collect();
  await new Promise<void>((resolve) => {
    exporter.export(resourceMetrics, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        warn({
          code: "OTLP_METRICS_FAILED",
          file: `${base}/v1/metrics`,
          message: `the token and duration metrics were not taken by ${base}/v1/metrics: ${result.error?.message ?? "no reason given"}`,
        });
      }
      resolve();
    });
  });
}
