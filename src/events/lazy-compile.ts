import type { TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";

// What `Compile(type)` returns: a validator with no context.
// biome-ignore lint/complexity/noBannedTypes: typebox's own name for "no context"
type PlainValidator<Type extends TSchema> = Validator<{}, Type>;

/**
 * typebox's `Compile`, done on first use. A validator compiles to generated code; the ~35 of
 * them compiled at import cost every command (even `--version`) ~7 ms, mostly for validators
 * the command never uses (the orchestrator's agent outputs in a cost report, say).
 */
export function lazyCompile<const Type extends TSchema>(type: Type): PlainValidator<Type> {
  let compiled: PlainValidator<Type> | undefined;
  const validator = () => {
    compiled ??= Compile(type);
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
