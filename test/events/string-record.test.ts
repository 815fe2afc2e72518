import { Compile } from "typebox/compile";
import * as Type from "typebox/type";
import { describe, expect, it } from "vitest";
import { stringRecord } from "../../src/events/string-record.js";

// stringRecord stands in for Type.Record(Type.String(), value), whose builder the bundle leaves out.
describe("stringRecord", () => {
  it.each([
    ["unknown values", Type.Unknown()],
    ["strings", Type.String({ minLength: 1 })],
    ["objects", Type.Object({ n: Type.Integer({ minimum: 0 }), s: Type.Optional(Type.String()) })],
  ])("builds Type.Record's schema and validator for %s", (_, value) => {
    const record = Type.Record(Type.String(), value);
    const ours = stringRecord(value);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(record));
    expect(Compile(ours).Code()).toBe(Compile(record).Code());
  });

  it.each<[unknown, boolean]>([
    [{}, true],
    [{ a: { n: 1 }, b: { n: 2, s: "x" } }, true],
    [{ a: { n: -1 } }, false],
    [{ a: "x" }, false],
    [[], false],
    [null, false],
  ])("checks %j as Type.Record does (%s)", (value, valid) => {
    const entry = Type.Object({ n: Type.Integer({ minimum: 0 }), s: Type.Optional(Type.String()) });
    expect(Compile(stringRecord(entry)).Check(value)).toBe(valid);
    expect(Compile(Type.Record(Type.String(), entry)).Check(value)).toBe(valid);
  });
});
