import { describe, expect, it } from "vitest";
import { pythonFloatRepr, toPythonJson } from "../../src/events/py-json.js";

// Expected strings are what CPython 3.11's repr() / json.dumps(sort_keys=True) printed.
describe("pythonFloatRepr", () => {
  it.each([
    [15.6, "15.6"],
    [15.0, "15.0"],
    [0.1, "0.1"],
    [1.5e-5, "1.5e-05"],
    [1e-7, "1e-07"],
    [1e16, "1e+16"],
    [123456789.123, "123456789.123"],
    [1e15, "1000000000000000.0"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [0, "0.0"],
    [-0, "-0.0"],
    [1e22, "1e+22"],
    [2.5e-300, "2.5e-300"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"],
    [0.30000000000000004, "0.30000000000000004"],
    [Number("1234567890123456.7"), "1234567890123456.8"],
    [Number("12345678901234567.0"), "1.2345678901234568e+16"],
    [-2.5, "-2.5"],
  ])("writes %s as %s", (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])("refuses %s, which is not JSON", (value) => {
    expect(() => pythonFloatRepr(value)).toThrow(/cannot write/);
  });
});

describe("toPythonJson", () => {
  it("sorts keys at every level and uses Python's separators", () => {
    expect(toPythonJson({ z: { b: [{ d: 1, c: 2 }], a: null } })).toBe(
      '{"z": {"a": null, "b": [{"c": 2, "d": 1}]}}',
    );
  });

  it("escapes non-ASCII, DEL and control characters as Python's ensure_ascii does", () => {
    expect(
      toPythonJson({
        b: 1,
        a: 'h\u00e9\u2603\u{1F600} \x7f\x01\n\t"\\/',
        "\u00e9": [1, 2.5, null, true],
      }),
    ).toBe(
      '{"a": "h\\u00e9\\u2603\\ud83d\\ude00 \\u007f\\u0001\\n\\t\\"\\\\/", "b": 1, "\\u00e9": [1, 2.5, null, true]}',
    );
  });

  it("writes integral numbers as ints except under float keys", () => {
    expect(
      toPythonJson({ cost_usd: 15, tokens: 15, nested: { cost_usd: 0 } }, new Set(["cost_usd"])),
    ).toBe('{"cost_usd": 15.0, "nested": {"cost_usd": 0.0}, "tokens": 15}');
  });

  it("sorts keys by code point, as Python does, not by UTF-16 unit", () => {
    // U+FF21 sorts before U+1F600 by code point but after its surrogates by UTF-16 unit.
    expect(toPythonJson({ "\u{1F600}": 1, "\uFF21": 2 })).toBe(
      '{"\\uff21": 2, "\\ud83d\\ude00": 1}',
    );
  });

  it("leaves out undefined properties as JSON.stringify does", () => {
    const value = { a: 1, b: undefined } as unknown as { a: number };
    expect(toPythonJson(value)).toBe('{"a": 1}');
  });
});
