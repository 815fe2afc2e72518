/** What the reviewer decided; `none` when its answer carries no verdict line. */
export type Verdict =
  | { readonly kind: "approved" }
  | { readonly kind: "rejected"; readonly feedback: string }
  | { readonly kind: "none" };

const VERDICT_LINE = /^[\s*#>_`]*VERDICT[\s*_`]*:[\s*_`]*(APPROVED|REJECTED)\b.*$/gim;

/** Reads the last `VERDICT: APPROVED|REJECTED` line of a review; feedback is what follows it. */
export function parseVerdict(text: string | null): Verdict {
  if (text === null) return { kind: "none" };
  const last = [...text.matchAll(VERDICT_LINE)].at(-1);
  if (last === undefined) return { kind: "none" };
  if (last[1]?.toUpperCase() === "APPROVED") return { kind: "approved" };
  const after = text.slice((last.index ?? 0) + last[0].length).trim();
  const before = text.slice(0, last.index ?? 0).trim();
  return {
    kind: "rejected",
    feedback: after || before || "The reviewer rejected the work without saying why.",
  };
}
