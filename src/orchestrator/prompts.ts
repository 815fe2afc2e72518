import type { WorkPackage } from "./work-packages.js";

/** The implementer's prompt; a reviewer's feedback on the previous attempt comes first. */
export function implementerPrompt(
  feature: string,
  wp: WorkPackage,
  feedback: string | null,
): string {
  const task = `Implement work package ${wp.id} ("${wp.title}") of feature ${feature}.\n\n${wp.body}\n`;
  if (feedback === null) return task;
  return `A reviewer rejected the previous attempt at ${wp.id}. Address this feedback first:\n\n${feedback}\n\n---\n\n${task}`;
}

/** The reviewer's prompt: the work package, and how to state the verdict. */
export function reviewerPrompt(feature: string, wp: WorkPackage): string {
  return [
    `Review the implementation of work package ${wp.id} ("${wp.title}") of feature ${feature} in this working directory.`,
    "",
    "The work package:",
    "",
    wp.body,
    "",
    "End your answer with one line `VERDICT: APPROVED` or `VERDICT: REJECTED`; after a rejection,",
    "write the feedback the implementer needs below that line.",
    "",
  ].join("\n");
}
