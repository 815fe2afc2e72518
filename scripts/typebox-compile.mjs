// An entry of the bundle (scripts/bundle.mjs): typebox's compiler in a file of its own, loaded
// only when a validator is first compiled (src/events/lazy-compile.ts).
export { Compile } from "typebox/compile";
