import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import { runSpecKitty } from "../support/run-cli.js";
import { copyOfProject } from "../support/temp-project.js";

const DEMO = join(import.meta.dirname, "..", "..", "examples", "demo-project");

interface ListedEvent {
  event_id: string;
  aggregate_id: string;
  timestamp: string;
  payload: Record<string, unknown>;
  cost_kind: string;
  estimated_cost_usd: number | null;
}

const receivers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(statuses: number[] = []) {
  const r = await startOtlpReceiver(statuses);
  receivers.push(r);
  return r;
}

async function demo() {
  const root = await copyOfProject(DEMO);
  const listed = await runSpecKitty(["agent", "telemetry", "events", "--json"], { cwd: root });
  return { root, events: JSON.parse(listed.stdout) as ListedEvent[] };
}

const exportTo = (root: string, url: string, ...more: string[]) =>
  runSpecKitty(["agent", "telemetry", "export", "--otlp", url, ...more], { cwd: root });

const n = (v: unknown) => (typeof v === "number" ? v : 0);

/** The attributes a span must carry for `event`, computed here from the event itself. */
function expectedAttributes(event: ListedEvent) {
  const p = event.payload;
  const cost = event.cost_kind === "reported" ? p.cost_usd : event.estimated_cost_usd;
  const present = (entries: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== null && v !== undefined));
  return present({
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": p.agent,
    "gen_ai.request.model": p.model,
    "gen_ai.conversation.id": p.session_id,
    "gen_ai.usage.input_tokens":
      n(p.input_tokens) + n(p.cache_read_tokens) + n(p.cache_write_tokens),
    "gen_ai.usage.output_tokens": n(p.output_tokens),
    "gen_ai.usage.cache_read.input_tokens": n(p.cache_read_tokens),
    "gen_ai.usage.cache_creation.input_tokens": n(p.cache_write_tokens),
    "gen_ai.usage.reasoning.output_tokens": n(p.reasoning_tokens),
    "spec_kitty.event_id": event.event_id,
    "spec_kitty.feature": event.aggregate_id,
    "spec_kitty.wp_id": p.wp_id,
    "spec_kitty.role": p.role,
    "spec_kitty.success": p.success,
    "spec_kitty.source": p.source,
    "spec_kitty.cost_usd": cost ?? 0,
    "spec_kitty.cost_source": event.cost_kind,
    "error.type": p.success === false ? (p.error ? "agent_error" : "failure") : undefined,
  });
}

describe("export --otlp (a local OTLP/HTTP receiver decodes what arrives)", () => {
  it("sends every event of the demo project once, with the documented attributes", async () => {
    const { root, events } = await demo();
    const r = await receiver();
    const run = await exportTo(root, r.url);
    expect(run).toMatchObject({ exitCode: 0, stderr: "" });
    expect(run.stdout).toBe(`sent ${events.length} events; 0 were sent before\n`);
    const byId = new Map(r.spans.map((s) => [s.attributes["spec_kitty.event_id"], s]));
    expect({ spans: r.spans.length, distinct: byId.size }).toEqual({
      spans: events.length,
      distinct: events.length,
    });
    for (const event of events) {
      const span = byId.get(event.event_id);
      expect(span?.attributes).toEqual(expectedAttributes(event));
      const endNs = BigInt(Date.parse(event.timestamp)) * 1_000_000n;
      const durationNs = BigInt(Math.round(n(event.payload.duration_ms) * 1e6));
      expect([span?.endTimeUnixNano, span?.startTimeUnixNano]).toEqual([
        String(endNs),
        String(endNs - durationNs),
      ]);
      expect(span?.statusCode).toBe(event.payload.success === false ? 2 : 0);
    }
  });

  it("sends the token and duration histograms of what it sent", async () => {
    const { root, events } = await demo();
    const r = await receiver();
    await exportTo(root, r.url);
    const tokens = r.metrics.find((m) => m.name === "gen_ai.client.token.usage");
    const sumOf = (type: string) =>
      (tokens?.points ?? [])
        .filter((p) => p.attributes["gen_ai.token.type"] === type)
        .reduce((s, p) => s + p.sum, 0);
    const inputs = events.map((e) => expectedAttributes(e)["gen_ai.usage.input_tokens"] as number);
    expect(sumOf("input")).toBe(inputs.reduce((a, b) => a + b, 0));
    expect(sumOf("output")).toBe(events.reduce((s, e) => s + n(e.payload.output_tokens), 0));
    const duration = r.metrics.find((m) => m.name === "gen_ai.client.operation.duration");
    expect(duration?.points.reduce((s, p) => s + p.count, 0)).toBe(events.length);
  });

  it("a second export sends nothing; an event emitted since is all the third sends", async () => {
    const { root, events } = await demo();
    const r = await receiver();
    await exportTo(root, r.url);
    const again = await exportTo(root, r.url, "--json");
    expect(JSON.parse(again.stdout)).toEqual({
      sent: 0,
      alreadySent: events.length,
      dry_run: false,
    });
    await runSpecKitty(
      [
        "agent",
        "telemetry",
        "emit",
        "-f",
        "015-dark-mode",
        "-r",
        "reviewer",
        "--agent",
        "codex",
        "--input-tokens",
        "5",
      ],
      { cwd: root },
    );
    const third = await exportTo(root, r.url, "--json");
    expect(JSON.parse(third.stdout)).toMatchObject({ sent: 1 });
    expect(r.spans).toHaveLength(events.length + 1);
  });

  it("a receiver that answers 503 then 200 gets everything exactly once", async () => {
    const { root, events } = await demo();
    const r = await receiver([503]);
    const run = await exportTo(root, r.url);
    expect(run.exitCode).toBe(0);
    expect(r.requests[0]).toEqual({ path: "/v1/traces", status: 503 });
    expect(new Set(r.spans.map((s) => s.spanId)).size).toBe(events.length);
    expect(r.spans).toHaveLength(events.length);
  });

  it("a dead endpoint fails in one line with exit 1, and a later export sends all", async () => {
    const { root, events } = await demo();
    const dead = await receiver();
    await dead.close();
    receivers.pop();
    const run = await exportTo(root, dead.url, "--timeout", "2");
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^spec-kitty: OTLP export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed after 0 events were sent: /,
    );
    const live = await receiver();
    const next = await exportTo(root, live.url, "--json");
    expect(JSON.parse(next.stdout)).toMatchObject({ sent: events.length, alreadySent: 0 });
  });

  it("an export killed between batches resends nothing it had sent", async () => {
    const { root, events } = await demo();
    // The second batch's request fails: the first batch is acknowledged and kept.
    const r = await receiver([200, 400]);
    const { exportToOtlp } = await import("../../src/team/otlp-export.js");
    const { loadPricingTable } = await import("../../src/telemetry/pricing.js");
    const options = {
      repoRoot: root,
      url: r.url,
      pricing: await loadPricingTable(root),
      warn: () => {},
      batchSize: 100,
    };
    await expect(exportToOtlp(options)).rejects.toThrow(/failed after 100 events were sent/);
    const rest = await exportToOtlp(options);
    expect(rest).toEqual({ sent: events.length - 100, alreadySent: 100 });
    expect(new Set(r.spans.map((s) => s.spanId)).size).toBe(events.length);
  });

  it.each([
    ["ftp://example.com", /only http:\/\/ and https:\/\//],
    ["not a url", /not a URL/],
  ])("--otlp %s is refused in one line", async (url, message) => {
    const { root } = await demo();
    const run = await exportTo(root, url);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(message);
  });
});
