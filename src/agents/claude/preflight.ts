import type { Role } from "../../telemetry/execution-payload.js";

/**
 * Claude Code refuses `--permission-mode bypassPermissions` (our implementer's) as root unless
 * `IS_SANDBOX=1` says the machine is a sandbox: it exits 1 at once ("cannot be used with
 * root/sudo privileges for security reasons"). Containers and CI often run as root. The reviewer
 * runs in `plan` mode, which root may use. `uid` is undefined where there are no user ids.
 */
export function rootRefusal(
  role: Role,
  env: Readonly<Record<string, string | undefined>>,
  uid: number | undefined,
): string | null {
  if (role === "reviewer" || uid !== 0 || env.IS_SANDBOX === "1") return null;
  return "Claude Code refuses to implement as root (--permission-mode bypassPermissions is not allowed with root/sudo privileges): run spec-kitty as a normal user, or, inside a container or VM that is a sandbox, set IS_SANDBOX=1";
}
