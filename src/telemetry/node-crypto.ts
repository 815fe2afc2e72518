import { createRequire } from "node:module";

/**
 * node:crypto, required rather than imported: Node 20 makes a built-in's ES module view by
 * reading every export, and crypto's `webcrypto` getter then loads Web Crypto, which nothing
 * here uses (a few ms of a warm report's start).
 */
const crypto = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");

export const { createHash, randomBytes, randomUUID } = crypto;
