import { afterEach, describe, expect, it } from "vitest";
import { geminiRouterAnswer } from "./gemini.js";
import { type ModelServer, type ScriptedTurn, startModelServer } from "./server.js";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(turns: readonly ScriptedTurn[]): Promise<ModelServer> {
  server = await startModelServer(turns);
  return server;
}

const post = (s: ModelServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** The `data:` payloads of a server-sent-events body, with their event names. */
async function events(res: Response): Promise<{ event: string | null; data: unknown }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const lines = chunk.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? null;
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "null";
      // Chat completions end with a `data: [DONE]` that is not JSON.
      return { event, data: data === "[DONE]" ? data : (JSON.parse(data) as unknown) };
    });
}

const USAGE = {
  input: 1200,
  cacheRead: 20_000,
  cacheWrite5m: 4000,
  cacheWrite1h: 1000,
  output: 345,
  reasoning: 45,
};

describe("model server", () => {
  it("listens on 127.0.0.1 and answers Claude Code's HEAD / ping", async () => {
    const s = await serve([]);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${s.url}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(s.requests.map((r) => [r.method, r.path, r.served])).toEqual([["HEAD", "/", "ping"]]);
  });

  it("streams an Anthropic text turn with every token class, the 5m/1h split included", async () => {
    const s = await serve([{ kind: "text", text: "hello", usage: USAGE }]);
    const res = await post(s, "/v1/messages?beta=true", {
      model: "claude-sonnet-4-5",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const got = await events(res);
    expect(got.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(got[0]?.data).toMatchObject({
      message: {
        model: "claude-sonnet-4-5",
        usage: {
          input_tokens: 1200,
          cache_read_input_tokens: 20_000,
          cache_creation_input_tokens: 5000,
          cache_creation: { ephemeral_5m_input_tokens: 4000, ephemeral_1h_input_tokens: 1000 },
          output_tokens: 1,
        },
      },
    });
    expect(got[2]?.data).toMatchObject({ delta: { type: "text_delta", text: "hello" } });
    expect(got[4]?.data).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 345 },
    });
  });

  it("answers a non-streaming Anthropic request with a tool_use message", async () => {
    const s = await serve([
      { kind: "tool", name: "Write", input: { file_path: "/x/a.txt", content: "A" } },
    ]);
    const res = await post(s, "/v1/messages", { model: "claude-haiku-4-5", messages: [] });
    expect(await res.json()).toMatchObject({
      type: "message",
      model: "claude-haiku-4-5",
      stop_reason: "tool_use",
      content: [
        { type: "tool_use", name: "Write", input: { file_path: "/x/a.txt", content: "A" } },
      ],
      usage: { input_tokens: 0, output_tokens: 0 },
    });
  });

  it("serves the first unserved turn whose model matches (a sub-agent's model)", async () => {
    const s = await serve([
      { kind: "text", text: "main", match: { model: "claude-sonnet" } },
      { kind: "text", text: "helper", match: { model: "claude-haiku" } },
    ]);
    const ask = async (model: string) => {
      const res = await post(s, "/v1/messages", { model, messages: [] });
      return ((await res.json()) as { content: { text: string }[] }).content[0]?.text;
    };
    expect(await ask("claude-haiku-4-5-20251001")).toBe("helper");
    expect(await ask("claude-sonnet-4-5")).toBe("main");
    expect(s.turnsLeft).toBe(0);
  });

  it("serves a turn only to a request whose body contains its text (a side call's prompt)", async () => {
    const s = await serve([
      { kind: "text", text: "A title", match: { bodyIncludes: "title generator" } },
      { kind: "text", text: "the turn" },
    ]);
    const ask = async (system: string) => {
      const res = await post(s, "/v1/messages", { model: "m", system, messages: [] });
      return ((await res.json()) as { content: { text: string }[] }).content[0]?.text;
    };
    expect(await ask("You are a coding agent")).toBe("the turn");
    expect(await ask("You are a title generator")).toBe("A title");
  });

  it("answers with a 500 naming the model once the script has no turn left", async () => {
    const s = await serve([]);
    const res = await post(s, "/v1/messages", { model: "claude-sonnet-4-5", messages: [] });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { message: "the test script has no turn left for claude-sonnet-4-5" },
    });
    expect(s.requests[0]?.served).toBe("no-turn-left");
  });

  it.each([
    [401, "authentication_error"],
    [429, "rate_limit_error"],
    [500, "api_error"],
  ] as const)("scripts an Anthropic HTTP %i (%s)", async (status, type) => {
    const s = await serve([{ kind: "error", status }]);
    const res = await post(s, "/v1/messages", { model: "m", messages: [] });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ type: "error", error: { type } });
  });

  it("keeps answering with a repeated turn", async () => {
    const s = await serve([{ kind: "error", status: 429, repeat: true }]);
    const statuses = [];
    for (const _ of [1, 2, 3]) {
      statuses.push((await post(s, "/v1/messages", { model: "m", messages: [] })).status);
    }
    expect(statuses).toEqual([429, 429, 429]);
  });

  it("starts a reply that hangs until the server is closed", async () => {
    const s = await serve([{ kind: "hang" }]);
    const res = await post(s, "/v1/messages", { model: "m", stream: true, messages: [] });
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain("event: message_start");
    const next = reader?.read();
    const stalled = await Promise.race([
      next?.then(() => "data"),
      new Promise((r) => setTimeout(() => r("stalled"), 300)),
    ]);
    expect(stalled).toBe("stalled");
    await s.close();
    await expect(next).rejects.toThrow();
    server = undefined;
  });

  it("streams an OpenAI Responses turn, cached and reasoning tokens inside the totals", async () => {
    const s = await serve([{ kind: "text", text: "done", usage: USAGE }]);
    const res = await post(s, "/v1/responses", { model: "gpt-5.1-codex", stream: true, input: [] });
    const got = await events(res);
    expect(got.map((e) => e.event)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.output_text.delta",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(got[4]?.data).toMatchObject({
      type: "response.completed",
      response: {
        model: "gpt-5.1-codex",
        status: "completed",
        output: [{ type: "message", content: [{ type: "output_text", text: "done" }] }],
        usage: {
          input_tokens: 26_200,
          input_tokens_details: { cached_tokens: 20_000 },
          output_tokens: 345,
          output_tokens_details: { reasoning_tokens: 45 },
          total_tokens: 26_545,
        },
      },
    });
  });

  it("streams an OpenAI function call", async () => {
    const s = await serve([{ kind: "tool", name: "shell", input: { command: ["ls"] } }]);
    const res = await post(s, "/v1/responses", { model: "gpt-5", stream: true, input: [] });
    const done = (await events(res)).find((e) => e.event === "response.output_item.done");
    expect(done?.data).toMatchObject({
      item: { type: "function_call", name: "shell", arguments: '{"command":["ls"]}' },
    });
  });

  it("streams a Gemini turn: cached inside the prompt count, thoughts apart from candidates", async () => {
    const s = await serve([{ kind: "text", text: "done", usage: USAGE }]);
    const res = await post(s, "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const got = await events(res);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      event: null,
      data: {
        candidates: [
          { content: { role: "model", parts: [{ text: "done" }] }, finishReason: "STOP" },
        ],
        usageMetadata: {
          promptTokenCount: 26_200,
          cachedContentTokenCount: 20_000,
          candidatesTokenCount: 300,
          thoughtsTokenCount: 45,
          totalTokenCount: 26_545,
        },
        modelVersion: "gemini-2.5-pro",
      },
    });
    expect(s.requests[0]).toMatchObject({
      protocol: "gemini",
      model: "gemini-2.5-pro",
      stream: true,
      query: "?alt=sse",
    });
  });

  it("answers Gemini's router (generateContent) with a routing decision both its classifiers read", async () => {
    const s = await serve([
      { kind: "text", text: geminiRouterAnswer("flash"), usage: { input: 900, output: 40 } },
      { kind: "tool", name: "write_file", input: { file_path: "a.txt", content: "A" } },
    ]);
    const router = await post(s, "/v1beta/models/gemini-3.5-flash-lite:generateContent", {
      contents: [],
    });
    const answer = (await router.json()) as {
      candidates: { content: { parts: { text: string }[] } }[];
      usageMetadata: unknown;
    };
    expect(JSON.parse(answer.candidates[0]?.content.parts[0]?.text ?? "")).toMatchObject({
      model_choice: "flash",
      complexity_score: 1,
    });
    expect(answer.usageMetadata).toEqual({
      promptTokenCount: 900,
      candidatesTokenCount: 40,
      totalTokenCount: 940,
    });
    const tool = await post(s, "/v1beta/models/gemini-2.5-flash:generateContent", { contents: [] });
    expect(await tool.json()).toMatchObject({
      candidates: [
        { content: { parts: [{ functionCall: { name: "write_file", args: { content: "A" } } }] } },
      ],
    });
    expect(s.modelRequests().map((r) => [r.model, r.stream])).toEqual([
      ["gemini-3.5-flash-lite", false],
      ["gemini-2.5-flash", false],
    ]);
  });

  it.each([
    [429, "RESOURCE_EXHAUSTED"],
    [500, "INTERNAL"],
  ] as const)("scripts a Gemini HTTP %i (%s)", async (status, name) => {
    const s = await serve([{ kind: "error", status }]);
    const res = await post(s, "/v1beta/models/gemini-2.5-pro:generateContent", { contents: [] });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code: status, status: name } });
  });

  it("streams a chat completion, its usage in a last chunk without choices, then [DONE]", async () => {
    const s = await serve([{ kind: "text", text: "done", usage: USAGE }]);
    const res = await post(s, "/v1/chat/completions", {
      model: "gpt-5.1-codex",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const got = (await events(res)).map((e) => e.data);
    expect(got).toHaveLength(5);
    expect(got[1]).toMatchObject({
      object: "chat.completion.chunk",
      model: "gpt-5.1-codex",
      choices: [{ delta: { content: "done" }, finish_reason: null }],
    });
    expect(got[2]).toMatchObject({ choices: [{ finish_reason: "stop" }] });
    expect(got[3]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 26_200,
        prompt_tokens_details: { cached_tokens: 20_000 },
        completion_tokens: 345,
        completion_tokens_details: { reasoning_tokens: 45 },
        total_tokens: 26_545,
      },
    });
    expect(got[4]).toBe("[DONE]");
    expect(s.requests[0]).toMatchObject({ protocol: "openai-chat", stream: true });
  });

  it.each([true, false])(
    "answers a chat completion with a tool call (streaming: %s)",
    async (stream) => {
      const s = await serve([{ kind: "tool", name: "bash", input: { command: "ls" } }]);
      const res = await post(s, "/v1/chat/completions", { model: "m", stream, messages: [] });
      const call = { type: "function", function: { name: "bash", arguments: '{"command":"ls"}' } };
      if (stream) {
        const got = (await events(res)).map((e) => e.data);
        expect(got[1]).toMatchObject({
          choices: [{ delta: { tool_calls: [{ index: 0, ...call }] } }],
        });
        expect(got[2]).toMatchObject({ choices: [{ finish_reason: "tool_calls" }] });
      } else {
        expect(await res.json()).toMatchObject({
          object: "chat.completion",
          choices: [{ message: { tool_calls: [call] }, finish_reason: "tool_calls" }],
          usage: { prompt_tokens: 0, completion_tokens: 0 },
        });
      }
    },
  );

  it("records each request without its credentials, and rejects a body of another protocol", async () => {
    const s = await serve([{ kind: "text", text: "ok" }]);
    await post(
      s,
      "/v1/messages?beta=true",
      { model: "claude-sonnet-4-5", messages: [] },
      {
        "x-api-key": "secret-key",
        authorization: "Bearer secret",
        "anthropic-version": "2023-06-01",
      },
    );
    const bad = await post(s, "/v1/responses", { messages: [] });
    expect(bad.status).toBe(400);
    const [first, second] = s.requests;
    expect(first).toMatchObject({
      method: "POST",
      path: "/v1/messages",
      query: "?beta=true",
      protocol: "anthropic-messages",
      model: "claude-sonnet-4-5",
      stream: false,
      status: 200,
      served: "text",
      bodyBytes: 43,
    });
    expect(first?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(JSON.stringify(s.requests)).not.toContain("secret");
    expect(second).toMatchObject({
      protocol: "openai-responses",
      status: 400,
      served: "bad-request",
    });
  });
});
