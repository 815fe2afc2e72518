/** Token counts a scripted reply reports, in DESIGN §4's classes (absent = 0). */
export interface ScriptUsage {
  /** Prompt tokens billed at the base input rate (neither read from nor written to a cache). */
  readonly input: number;
  readonly cacheRead?: number;
  /** Prompt tokens written to the cache with the 5-minute TTL. */
  readonly cacheWrite5m?: number;
  /** Prompt tokens written to the cache with the 1-hour TTL (Anthropic only). */
  readonly cacheWrite1h?: number;
  /** All generated tokens, reasoning included. */
  readonly output: number;
  /** The part of `output` that was reasoning (OpenAI reports it; Anthropic does not). */
  readonly reasoning?: number;
}

/** Which requests a turn answers; every given field must match. */
export interface TurnMatch {
  /** The request's model starts with this (e.g. `claude-haiku` for a sub-agent). */
  readonly model?: string;
  /** The request's JSON body contains this text (e.g. a side call's system prompt). */
  readonly bodyIncludes?: string;
}

/** What a turn is matched against. */
export interface TurnRequest {
  readonly model: string;
  readonly body: unknown;
}

interface TurnBase {
  readonly match?: TurnMatch;
  /** The model named in the reply; the request's own by default. */
  readonly model?: string;
  readonly usage?: ScriptUsage;
}

/** One reply of the server: text, a tool call, an HTTP error, or a reply that never ends. */
export type Turn =
  | (TurnBase & { readonly kind: "text"; readonly text: string })
  | (TurnBase & {
      readonly kind: "tool";
      readonly name: string;
      /** The tool's namespace where the API groups tools (Codex's `multi_agent_v1`). */
      readonly namespace?: string;
      readonly input: Readonly<Record<string, unknown>>;
    })
  | (TurnBase & {
      readonly kind: "error";
      readonly status: 401 | 429 | 500 | 529;
      readonly message?: string;
    })
  // The response starts (headers, and the first event when streaming) and then stalls.
  | (TurnBase & { readonly kind: "hang" });

export const NO_USAGE: ScriptUsage = { input: 0, output: 0 };

/**
 * The turns of one test, served in order: a request takes the first unserved turn that matches
 * it. A turn with `repeat` keeps answering (an agent's retries of a 500, say).
 */
export class TurnQueue {
  private readonly pending: { turn: Turn; repeat: boolean }[];

  constructor(turns: readonly (Turn & { readonly repeat?: boolean })[]) {
    this.pending = turns.map((turn) => ({ turn, repeat: turn.repeat === true }));
  }

  /** The turn for `request`, or undefined when the script has none left for it. */
  take(request: TurnRequest): Turn | undefined {
    const index = this.pending.findIndex(({ turn }) => matches(turn.match, request));
    const found = this.pending[index];
    if (found === undefined) return undefined;
    if (!found.repeat) this.pending.splice(index, 1);
    return found.turn;
  }

  /** How many turns were never served. */
  get left(): number {
    return this.pending.filter((p) => !p.repeat).length;
  }
}

function matches(match: TurnMatch | undefined, request: TurnRequest): boolean {
  return (
    (match?.model === undefined || request.model.startsWith(match.model)) &&
    (match?.bodyIncludes === undefined || JSON.stringify(request.body).includes(match.bodyIncludes))
  );
}
