import { describe, expect, it } from "vitest";
import { listEvents } from "../../src/telemetry/event-listing.js";
import { loadPricingTable } from "../../src/telemetry/pricing.js";
import { parseFilter } from "../../src/telemetry/query.js";
import { costReport, type ReportScope } from "../../src/telemetry/report.js";
import { copyOfFixtureProject } from "../support/temp-project.js";

/** A Date that counts how often it is read: each parse of a date bound reads it once. */
class CountedDate extends Date {
  reads = 0;
  override getTime(): number {
    this.reads++;
    return super.getTime();
  }
}

const silent = () => undefined;

describe("reports parse their date bounds once, where the query comes in", () => {
  it.each<[string, (scope: ReportScope) => Promise<unknown>]>([
    [
      "costReport",
      async (scope) =>
        costReport(scope, "agent", await loadPricingTable(scope.repoRoot, { warn: silent }), {
          cache: false,
          threads: 1,
        }),
    ],
    ["listEvents (four features)", (scope) => listEvents(scope)],
  ])("%s", async (_, report) => {
    const repoRoot = await copyOfFixtureProject();
    const since = new CountedDate("2026-01-01T00:00:00Z");
    const until = new CountedDate("2027-01-01T00:00:00Z");
    await report({ repoRoot, filter: { since, until }, warn: silent });
    expect([since.reads, until.reads]).toEqual([1, 1]);
  });

  it("takes a parsed filter as it is: the CLI parses its flags once and passes them down", async () => {
    const repoRoot = await copyOfFixtureProject();
    const since = new CountedDate("2026-01-01T00:00:00Z");
    const filter = parseFilter({ since });
    const { events } = await listEvents({ repoRoot, filter, warn: silent });
    expect([since.reads, events.length > 0]).toEqual([1, true]);
  });
});
