import { EventError } from "./errors.js";

/** A JSON value as JSON.parse returns it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JS finds them), written in
 * exponent form when the decimal exponent is below -4 or at least 16, and always with a `.0`
 * or an exponent so that Python reads a float back.
 */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) {
    throw new EventError("SERIALISE_FAILED", `cannot write ${x} as JSON`);
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exponentText = "0"] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  // In this range JS also writes fixed notation with the same shortest digits.
  const fixed = String(x);
  return fixed.includes(".") ? fixed : `${fixed}.0`;
}

function pythonInt(x: number): string {
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

// Python's ensure_ascii escapes everything outside printable ASCII (0x20-0x7e), DEL included.
const NEEDS_ESCAPE = /[^ -~]|["\\]/;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function pythonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

// Python sorts str keys by code point; JS compares UTF-16 units, which differ only past U+D7FF.
function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const diff = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
}

function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj).sort();
  return keys.some((k) => /[\ud800-\uffff]/.test(k)) ? keys.sort(compareCodePoints) : keys;
}

/**
 * Writes a value exactly as Python's `json.dumps(value, sort_keys=True)` does.
 *
 * JSON numbers carry no int/float distinction once parsed, so integral numbers are written as
 * ints, except under the object keys in `floatKeys`, whose numbers are always Python floats
 * (`cost_usd: 15` is written `15.0`, as Python's `float` field would write it).
 */
export function toPythonJson(value: JsonValue, floatKeys: ReadonlySet<string> = new Set()): string {
  const write = (v: JsonValue, asFloat: boolean): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return asFloat || !Number.isInteger(v) ? pythonFloatRepr(v) : pythonInt(v);
      case "string":
        return pythonString(v);
    }
    if (Array.isArray(v)) {
      return `[${v.map((item: JsonValue) => write(item, false)).join(", ")}]`;
    }
    const obj = v as JsonObject;
    const parts: string[] = [];
    for (const key of sortedKeys(obj)) {
      const item = obj[key];
      // Like JSON.stringify, an undefined property is absent rather than null.
      if (item !== undefined)
        parts.push(`${pythonString(key)}: ${write(item, floatKeys.has(key))}`);
    }
    return `{${parts.join(", ")}}`;
  };
  return write(value, false);
}
