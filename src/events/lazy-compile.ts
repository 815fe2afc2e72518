import { createRequire } from "node:module";
import type { TSchema } from "typebox";
import type { Validator } from "typebox/compile";

// What `Compile(type)` returns: a validator with no context.
// biome-ignore lint/complexity/noBannedTypes: typebox's own name for "no context"
type PlainValidator<Type extends TSchema> = Validator<{}, Type>;

type Compiler = typeof import("typebox/compile");

// The bundled CLI's copy of typebox's compiler, a file beside the bundle (scripts/bundle.mjs
// defines this); the library and the sources load the package's.
declare const SPEC_KITTY_TYPEBOX_COMPILE: string | undefined;

let compiler: Compiler | undefined;

/**
 * typebox's compiler, loaded the first time a validator is compiled. Bundled, it is ~370 KB of
 * code: compiling it cost a warm cost report, which validates nothing with it, ~15 ms. A
 * synchronous `require` of the ES module (Node >= 20.19), since `Check` is synchronous.
 */
function loadCompiler(): Compiler {
  compiler ??= createRequire(import.meta.url)(
    typeof SPEC_KITTY_TYPEBOX_COMPILE === "string" ? SPEC_KITTY_TYPEBOX_COMPILE : "typebox/compile",
  ) as Compiler;
  return compiler;
}

/**
 * typebox's `Compile`, done on first use. A validator compiles to generated code; the ~35 of
 * them compiled at import cost every command (even `--version`) ~7 ms, mostly for validators
 * the command never uses (the orchestrator's agent outputs in a cost report, say).
 */
export function lazyCompile<const Type extends TSchema>(type: Type): PlainValidator<Type> {
  return lazyCompileOf(() => type);
}

/** `lazyCompile` of a schema built on first use too (a generated one, say). */
export function lazyCompileOf<const Type extends TSchema>(build: () => Type): PlainValidator<Type> {
  let compiled: PlainValidator<Type> | undefined;
  const validator = () => {
    compiled ??= loadCompiler().Compile(build());
    return compiled;
  };
  return new Proxy({} as PlainValidator<Type>, {
    get(_, key) {
      const target = validator();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// Compiled validators of the schemas asked for their first error, kept for the next line.
const describers = new WeakMap<TSchema, PlainValidator<TSchema>>();

/**
 * typebox's first error for `value` (null when valid), typebox loaded now: for the schemas
 * `firstSchemaError` cannot walk itself.
 */
export function lazyFirstError(
  schema: TSchema,
  value: unknown,
): { readonly instancePath: string; readonly message: string } | null {
  let validator = describers.get(schema);
  if (validator === undefined) {
    validator = loadCompiler().Compile(schema);
    describers.set(schema, validator);
  }
  const first = validator.Errors(value)[0];
  return first ? { instancePath: first.instancePath, message: first.message } : null;
}
