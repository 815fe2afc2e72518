import { describe, expect, it } from "vitest";
import { InMemoryClockStorage, LamportClock } from "../../src/events/clock.js";

describe("InMemoryClockStorage", () => {
  it("loads 0 for a node never saved", async () => {
    expect(await new InMemoryClockStorage().load("cli:WP01")).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])("refuses to save %s", async (value) => {
    await expect(new InMemoryClockStorage().save("cli:WP01", value)).rejects.toThrow(
      /non-negative integer/,
    );
  });
});

describe("LamportClock", () => {
  it("ticks from the stored value and persists each step", async () => {
    const storage = new InMemoryClockStorage();
    await storage.save("n", 5);
    const clock = await LamportClock.load("n", storage);
    const ticks = [await clock.tick(), await clock.tick()];
    expect([ticks, clock.current, await storage.load("n")]).toEqual([[6, 7], 7, 7]);
  });

  it.each([
    [3, 10, 11],
    [10, 3, 11],
    [4, 4, 5],
  ])("local %i updated with remote %i becomes %i", async (local, remote, expected) => {
    const storage = new InMemoryClockStorage();
    await storage.save("n", local);
    const clock = await LamportClock.load("n", storage);
    expect(await clock.update(remote)).toBe(expected);
  });

  it("refuses a negative remote value", async () => {
    const clock = await LamportClock.load("n", new InMemoryClockStorage());
    await expect(clock.update(-1)).rejects.toThrow(/non-negative/);
  });
});
