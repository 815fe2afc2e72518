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
  createRangePass(options: unknown): RangePass;
}

/** A fresh pass for one range, from its spec. */
export async function startRangePass(spec: RangePassSpec): Promise<RangePass> {
  const module = (await import(spec.module)) as RangePassModule;
  return module.createRangePass(spec.options);
}
