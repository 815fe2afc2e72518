import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One attribute value as OTLP/JSON encodes it, decoded. */
export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly statusCode: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface ReceivedMetric {
  readonly name: string;
  /** Each data point's attributes and its sum and count (histograms). */
  readonly points: readonly {
    attributes: Record<string, AttributeValue>;
    sum: number;
    count: number;
  }[];
}

interface OtlpKeyValue {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

function decode(attributes: readonly OtlpKeyValue[] = []): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of attributes) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    if (v !== undefined) out[key] = typeof value.intValue === "string" ? Number(v) : v;
  }
  return out;
}

/**
 * A local OTLP/HTTP (JSON) receiver on 127.0.0.1 that decodes what arrives: it answers each
 * request with the next status of `statuses` (then 200), and keeps only what it accepted.
 */
export async function startOtlpReceiver(statuses: readonly number[] = []) {
  const pending = [...statuses];
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: { path: string; status: number }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = pending.shift() ?? 200;
      requests.push({ path: request.url ?? "", status });
      if (status === 200) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (request.url === "/v1/traces") spans.push(...spansOf(body));
        if (request.url === "/v1/metrics") metrics.push(...metricsOf(body));
      }
      response.writeHead(status, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded OTLP/JSON body, checked by the tests.
function spansOf(body: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          name: s.name,
          startTimeUnixNano: String(s.startTimeUnixNano),
          endTimeUnixNano: String(s.endTimeUnixNano),
          statusCode: s.status?.code ?? 0,
          attributes: decode(s.attributes),
        });
      }
    }
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded OTLP/JSON body, checked by the tests.
function metricsOf(body: any): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of body.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const points = (m.histogram?.dataPoints ?? []).map(
          // biome-ignore lint/suspicious/noExplicitAny: as above.
          (p: any) => ({ attributes: decode(p.attributes), sum: p.sum, count: Number(p.count) }),
        );
        out.push({ name: m.name, points });
      }
    }
  }
  return out;
}
