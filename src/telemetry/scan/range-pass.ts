import type { EventFields } from "./event-fields.js";

/**
 * A computation that sees each distinct valid event of a scanned range (`scanRange`'s `visit`),
 * run in whichever thread reads the range. It is named by a module and plain options, so that a
 * worker thread can make its own: the module exports `createRangePass(options)`.
 */
export interface RangePassSpec {
  /** The module's URL (`import.meta.url`-relative, `.ts` from source, `.js` built). */
  readonly module: string;
  /** Structured-cloneable options, handed to `createRangePass`. */
  readonly options: unknown;
}

/** One range's pass: fed every event read, then finished once. */
export interface RangePass {
  visit(fields: EventFields, offset: number, length: number): void;
  /** What the range found (structured-cloneable), and the buffers to move rather than copy. */
  finish(): { readonly result: unknown; readonly transfer: readonly ArrayBuffer[] };
}

interface RangePassModule {
  /** `bytes`: the range's size (to size what the pass holds). */
  createRangePass(options: unknown, bytes: number): RangePass;
}

// Factories this thread already holds, by module URL: no second copy of a module is loaded.
const known = new Map<string, RangePassModule["createRangePass"]>();

/** Makes `module`'s passes with `create` in this thread (the module's code is already loaded). */
export function registerRangePass(
  module: string,
  create: RangePassModule["createRangePass"],
): void {
  known.set(module, create);
}

/** A fresh pass for a range of `bytes`, from its spec. */
export async function startRangePass(spec: RangePassSpec, bytes: number): Promise<RangePass> {
  let create = known.get(spec.module);
  if (create === undefined) {
    create = ((await import(spec.module)) as RangePassModule).createRangePass;
    known.set(spec.module, create);
  }
  return create(spec.options, bytes);
}
