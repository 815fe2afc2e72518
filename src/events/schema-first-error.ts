import type { TSchema } from "typebox";
import { codePointCount } from "./code-points.js";
import { lazyFirstError } from "./lazy-compile.js";

/** A validation error as typebox reports it: where (a JSON pointer) and what, in its words. */
export interface SchemaError {
  readonly instancePath: string;
  readonly message: string;
}

// A schema node as the walk reads it: a plain object of JSON Schema keywords.
type Node = Readonly<Record<string, unknown>>;

/**
 * The keywords the walk below knows, as typebox's builders write them for our schemas, and
 * typebox's own marks (`~kind` and the like, not enumerable: what built a node; they check
 * nothing). A mark that checks (`~refine`, `~codec`) is not among them: typebox answers then.
 */
const KNOWN = new Set([
  "type",
  "required",
  "properties",
  "patternProperties",
  "items",
  "anyOf",
  "const",
  "minLength",
  "minimum",
  "maximum",
  "~kind",
  "~optional",
  "~readonly",
  "~unsafe",
]);
const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

const supportedCache = new WeakMap<object, boolean>();

/** Whether every node of `schema` uses only keywords the walk knows, in the forms it knows. */
function supported(schema: unknown): boolean {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return false;
  const cached = supportedCache.get(schema);
  if (cached !== undefined) return cached;
  const node = schema as Node;
  const known =
    Object.getOwnPropertyNames(node).every((key) => KNOWN.has(key)) &&
    Object.getOwnPropertySymbols(node).length === 0 &&
    (!("type" in node) || (typeof node.type === "string" && TYPES.has(node.type))) &&
    (!("required" in node) ||
      (Array.isArray(node.required) && node.required.every((k) => typeof k === "string"))) &&
    (!("properties" in node) || isSchemaMap(node.properties, supported)) &&
    // Only a pattern whose schema accepts anything (a string record of unknowns): no key test.
    (!("patternProperties" in node) || isSchemaMap(node.patternProperties, acceptsAll)) &&
    (!("items" in node) || supported(node.items)) &&
    (!("anyOf" in node) ||
      (Array.isArray(node.anyOf) && node.anyOf.length > 0 && node.anyOf.every(supported))) &&
    (!("const" in node) || isValueLike(node.const)) &&
    (!("minLength" in node) || Number.isSafeInteger(node.minLength)) &&
    (!("minimum" in node) || Number.isFinite(node.minimum)) &&
    (!("maximum" in node) || Number.isFinite(node.maximum));
  supportedCache.set(schema, known);
  return known;
}

function isSchemaMap(value: unknown, each: (schema: unknown) => boolean): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every(each)
  );
}

/** `{}` (typebox's Unknown): a schema with no keyword but typebox's marks. */
function acceptsAll(schema: unknown): boolean {
  return (
    typeof schema === "object" &&
    schema !== null &&
    Object.getOwnPropertyNames(schema).every((key) => key.startsWith("~") && KNOWN.has(key))
  );
}

function isValueLike(value: unknown): boolean {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    Number.isFinite(value)
  );
}

/** typebox's test of a JSON Schema type name. */
function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "number":
      return Number.isFinite(value);
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    default:
      return value === null;
  }
}

/** Whether an object has `key` as typebox asks it: `in`, but own only for keys of prototypes. */
function hasKey(value: object, key: string): boolean {
  return key === "__proto__" || key === "constructor" || key === "prototype"
    ? Object.hasOwn(value, key)
    : key in value;
}

function fragment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

const at = (instancePath: string, message: string): SchemaError => ({ instancePath, message });

/**
 * The first error typebox's `Errors` lists for `value`, or null when it is valid: its keywords in
 * its order (type; an object's required, then properties in the schema's order; an array's items
 * in order; a string's length; a number's bounds; const; anyOf, whose first branch's first error
 * comes first when every branch fails), in its en_US words. Only for `supported` schemas.
 */
function firstError(node: Node, value: unknown, path: string): SchemaError | null {
  if (typeof node.type === "string" && !hasType(node.type, value)) {
    return at(path, `must be ${node.type}`);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    if (Array.isArray(node.required)) {
      const missing = (node.required as string[]).filter((key) => !hasKey(value, key));
      if (missing.length > 0)
        return at(path, `must have required properties ${missing.join(", ")}`);
    }
    if (node.properties !== undefined) {
      const required = Array.isArray(node.required) ? (node.required as string[]) : [];
      const record = value as Record<string, unknown>;
      for (const [key, schema] of Object.entries(node.properties as Record<string, Node>)) {
        // An optional key holding `undefined` counts as absent (typebox's default).
        if (!required.includes(key) && record[key] === undefined) continue;
        if (!hasKey(value, key)) continue;
        const error = firstError(schema, record[key], `${path}/${fragment(key)}`);
        if (error !== null) return error;
      }
    }
  }
  if (Array.isArray(value) && node.items !== undefined) {
    for (let index = 0; index < value.length; index++) {
      // As typebox's forEach: the holes of a sparse array are not visited.
      if (!(index in value)) continue;
      const error = firstError(node.items as Node, value[index], `${path}/${index}`);
      if (error !== null) return error;
    }
  }
  if (typeof value === "string" && typeof node.minLength === "number") {
    if (codePointCount(value) < node.minLength) {
      return at(path, `must not have fewer than ${node.minLength} characters`);
    }
  }
  if (Number.isFinite(value) || typeof value === "bigint") {
    const number = value as number;
    if (typeof node.minimum === "number" && !(number >= node.minimum)) {
      return at(path, `must be >= ${node.minimum}`);
    }
    if (typeof node.maximum === "number" && !(number <= node.maximum)) {
      return at(path, `must be <= ${node.maximum}`);
    }
  }
  if ("const" in node && value !== node.const) return at(path, "must be equal to constant");
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as Node[]).map((branch) => firstError(branch, value, path));
    if (!branches.includes(null)) return branches[0] ?? at(path, "must match a schema in anyOf");
  }
  return null;
}

/**
 * What typebox's `Errors(value)[0]` is for `schema` (null when `value` is valid), without
 * typebox's value module: the words of a skipped line cost a report no compiler. A schema with a
 * keyword the walk does not know is asked of typebox itself (loaded then); ours have none.
 */
export function firstSchemaError(schema: TSchema, value: unknown): SchemaError | null {
  if (!supported(schema)) return lazyFirstError(schema, value);
  return firstError(schema as Node, value, "");
}

/** Whether the walk answers for `schema` without typebox (a test proves it for ours). */
export function describedWithoutTypebox(schema: TSchema): boolean {
  return supported(schema);
}
