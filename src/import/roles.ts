import type { SpecKittySignals } from "../agents/session-logs.js";
import type { Role } from "../telemetry/execution-payload.js";

/** The role of each spec-kitty workflow step that says what a turn was doing. */
const STEP_ROLES: Readonly<Record<string, Role>> = {
  implement: "implementer",
  review: "reviewer",
  specify: "specifier",
  clarify: "specifier",
  plan: "planner",
  tasks: "planner",
  analyze: "planner",
  merge: "merger",
  accept: "merger",
};

/** Interactive sessions mostly write code, so a turn that ran no spec-kitty step implements. */
export const DEFAULT_ROLE: Role = "implementer";

/** The role of a turn: that of the first spec-kitty step it ran, else the default. */
export function roleOf(signals: SpecKittySignals): Role {
  for (const command of signals.commands) {
    const role = STEP_ROLES[command.step];
    if (role !== undefined) return role;
  }
  return DEFAULT_ROLE;
}
