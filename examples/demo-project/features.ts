// The demo project's features: what each one is about, its work packages, when the team worked
// on it and which agents it used. generate.ts turns these plans into specs, prompts and logs.

/** The agent CLIs the demo team used. */
export const AGENTS = ["claude", "codex", "gemini", "opencode", "copilot"] as const;
export type Agent = (typeof AGENTS)[number];

/** Relative weights: `[["claude", 0.7], ["codex", 0.3]]`. */
export type Weighted<T> = readonly (readonly [T, number])[];

export interface WorkPackagePlan {
  readonly slug: string;
  readonly title: string;
  /** 1-based numbers of the work packages this one depends on. */
  readonly dependencies: readonly number[];
  readonly objective: string;
  readonly subtasks: readonly string[];
}

export interface FeaturePlan {
  readonly slug: string;
  readonly title: string;
  readonly overview: string;
  readonly requirements: readonly string[];
  /** First and last working day (UTC) of the feature. */
  readonly window: readonly [string, string];
  /** `cli`: developers ran the agents and `spec-kitty agent telemetry emit`; else the orchestrator. */
  readonly node: "cli" | "orchestrator";
  readonly specifiers: Weighted<Agent>;
  readonly implementers: Weighted<Agent>;
  readonly reviewers: Weighted<Agent>;
  /** OpenCode's models for this feature, when they differ from the default mix. */
  readonly opencodeModels?: Weighted<string>;
  /** In-progress features: the work packages reviewed so far, then one implemented, unreviewed. */
  readonly reviewedThrough?: number;
  readonly workPackages: readonly WorkPackagePlan[];
}

const wp = (
  slug: string,
  title: string,
  dependencies: readonly number[],
  objective: string,
  subtasks: readonly string[],
): WorkPackagePlan => ({ slug, title, dependencies, objective, subtasks });

export const FEATURES: readonly FeaturePlan[] = [
  {
    slug: "012-user-auth",
    title: "User authentication",
    overview:
      "Email and password sign-in with server-side sessions, password reset by email, and optional TOTP two-factor authentication for the web app.",
    requirements: [
      "Users sign up and sign in with an email and a password, hashed with argon2id.",
      "Sessions live on the server, rotate on sign-in and privilege change, and expire after 14 idle days.",
      "Password reset links are single-use and expire after 30 minutes.",
      "Users may enrol a TOTP authenticator; once enrolled, sign-in asks for a code.",
    ],
    window: ["2026-09-01", "2026-09-18"],
    node: "cli",
    specifiers: [["claude", 1]],
    implementers: [
      ["claude", 0.7],
      ["codex", 0.3],
    ],
    reviewers: [
      ["codex", 0.6],
      ["claude", 0.4],
    ],
    workPackages: [
      wp(
        "user-model",
        "User model and password hashing",
        [],
        "Add the users table and the argon2id hashing helpers.",
        [
          "T001 Migration for users (unique email, citext)",
          "T002 hashPassword/verifyPassword with argon2id and a rehash-on-login check",
        ],
      ),
      wp(
        "session-store",
        "Session store",
        [1],
        "Server-side sessions in Postgres with rotation and idle expiry.",
        [
          "T003 Sessions table and repository",
          "T004 Rotate the session id on sign-in and on privilege change",
        ],
      ),
      wp(
        "signup-signin-api",
        "Sign-up and sign-in endpoints",
        [1, 2],
        "POST /auth/signup and /auth/signin with validation and uniform errors.",
        [
          "T005 Request validation and one 'invalid credentials' error for every failure",
          "T006 Session cookie: HttpOnly, Secure, SameSite=Lax",
        ],
      ),
      wp(
        "signin-throttling",
        "Sign-in throttling",
        [3],
        "Throttle sign-in attempts per account and per IP address.",
        [
          "T007 Sliding-window counters in Redis",
          "T008 Lock the account after 10 failures, unlock after 15 minutes",
        ],
      ),
      wp("password-reset", "Password reset flow", [1], "Single-use reset tokens sent by email.", [
        "T009 Reset tokens stored hashed, 30-minute expiry",
        "T010 Email template and the /auth/reset endpoints",
      ]),
      wp(
        "totp-enrolment",
        "TOTP enrolment",
        [2, 3],
        "Enrol an authenticator app with a QR code and recovery codes.",
        [
          "T011 Secret generation and the otpauth:// URI",
          "T012 Ten one-time recovery codes, stored hashed",
        ],
      ),
      wp(
        "totp-challenge",
        "TOTP challenge at sign-in",
        [6],
        "Ask enrolled users for a code after the password step.",
        [
          "T013 A partial session until the second factor passes",
          "T014 Accept one time step of clock drift",
        ],
      ),
      wp(
        "auth-ui",
        "Sign-in, sign-up and reset screens",
        [3, 5, 7],
        "The React screens for every authentication flow.",
        [
          "T015 Forms with inline validation",
          "T016 Two-factor prompt with a recovery-code fallback",
        ],
      ),
      wp("auth-e2e", "End-to-end tests", [8], "Playwright coverage of every authentication flow.", [
        "T017 Happy paths for sign-up, sign-in, reset and two-factor",
        "T018 Lockout, expired reset link and wrong TOTP code",
      ]),
    ],
  },
  {
    slug: "013-billing-webhooks",
    title: "Billing webhooks",
    overview:
      "Receive Stripe webhooks, verify and de-duplicate them, and keep customers, subscriptions, invoices and entitlements in sync with Stripe.",
    requirements: [
      "Every webhook is verified against its Stripe-Signature header with a 5-minute tolerance.",
      "Processing is idempotent by Stripe event id; redelivered events change nothing.",
      "A subscription change updates the account's entitlements within one minute.",
      "A failed payment starts the dunning email sequence; a successful one stops it.",
    ],
    window: ["2026-09-07", "2026-10-02"],
    node: "orchestrator",
    specifiers: [["claude", 1]],
    implementers: [
      ["codex", 0.5],
      ["claude", 0.3],
      ["opencode", 0.2],
    ],
    reviewers: [
      ["claude", 0.5],
      ["gemini", 0.5],
    ],
    workPackages: [
      wp(
        "webhook-endpoint",
        "Webhook endpoint and signature check",
        [],
        "Accept Stripe webhooks and reject anything unsigned or stale.",
        [
          "T001 POST /webhooks/stripe with raw-body parsing",
          "T002 Verify Stripe-Signature with a 5-minute tolerance",
        ],
      ),
      wp(
        "event-inbox",
        "Event inbox and de-duplication",
        [1],
        "Store every event once and acknowledge Stripe fast.",
        [
          "T003 webhook_events table keyed by the Stripe event id",
          "T004 Acknowledge with 200 first, process from the inbox",
        ],
      ),
      wp(
        "inbox-worker",
        "Inbox worker with retries",
        [2],
        "Process inbox events in order, with retries and a dead-letter state.",
        [
          "T005 Worker loop with exponential backoff",
          "T006 Dead-letter after 8 attempts and page the on-call",
        ],
      ),
      wp("customer-sync", "Customer sync", [3], "Keep our accounts linked to Stripe customers.", [
        "T007 Map customer.* events to accounts",
        "T008 Backfill command for existing customers",
      ]),
      wp(
        "subscription-state",
        "Subscription state machine",
        [3],
        "Track each subscription's state from its events.",
        [
          "T009 States: trialing, active, past_due, canceled",
          "T010 Ignore out-of-order transitions using the event's created time",
        ],
      ),
      wp(
        "entitlements",
        "Entitlements from plans",
        [5],
        "Derive feature access from the active plan.",
        [
          "T011 Plan to feature-flag table",
          "T012 Cache entitlements per account, invalidate on change",
        ],
      ),
      wp(
        "invoice-records",
        "Invoice records",
        [3],
        "Keep a local copy of invoices for the billing page.",
        [
          "T013 Store invoice.* events with their line items",
          "T014 Amounts in integer minor units with the currency",
        ],
      ),
      wp("dunning-emails", "Dunning emails", [5, 7], "Email owners when a payment fails.", [
        "T015 invoice.payment_failed starts a sequence on day 0, 3 and 7",
        "T016 Stop the sequence when a payment succeeds",
      ]),
      wp(
        "billing-portal",
        "Billing portal link",
        [4],
        "Let owners manage cards and invoices in Stripe's portal.",
        [
          "T017 Create portal sessions for the signed-in owner only",
          "T018 Return URL back to the settings page",
        ],
      ),
      wp(
        "replay-tool",
        "Webhook replay tool",
        [2],
        "Replay a stored event when a bug fix needs it.",
        [
          "T019 CLI command to replay one event from the inbox",
          "T020 Dry-run mode that prints the state change",
        ],
      ),
      wp(
        "billing-observability",
        "Metrics and alerts",
        [3, 8],
        "See the webhook pipeline's health at a glance.",
        [
          "T021 Counters for received, processed and failed events",
          "T022 Alert when the inbox lag exceeds 5 minutes",
        ],
      ),
    ],
  },
  {
    slug: "014-search-indexing",
    title: "Search indexing",
    overview:
      "Full-text search over projects, issues and comments, backed by an incremental index that stays within a minute of the database.",
    requirements: [
      "Search answers within 200 ms at p95 over one million documents.",
      "A change in the database is searchable within 60 seconds.",
      "Results only ever include documents the caller may see.",
      "Prefix matching and typo tolerance for terms longer than four characters.",
    ],
    window: ["2026-09-21", "2026-10-16"],
    node: "orchestrator",
    specifiers: [
      ["gemini", 0.5],
      ["claude", 0.5],
    ],
    implementers: [
      ["gemini", 0.4],
      ["opencode", 0.4],
      ["codex", 0.2],
    ],
    reviewers: [
      ["claude", 0.6],
      ["copilot", 0.4],
    ],
    opencodeModels: [
      ["anthropic/claude-sonnet-4.5", 0.6],
      ["local/qwen3-coder-30b", 0.3],
      ["openai/gpt-5-codex", 0.1],
    ],
    workPackages: [
      wp(
        "index-schema",
        "Index schema and analyzers",
        [],
        "Define what is indexed and how text is analysed.",
        [
          "T001 Document schema for projects, issues and comments",
          "T002 Analyzers: lowercase, ASCII folding, edge n-grams for prefixes",
        ],
      ),
      wp(
        "change-capture",
        "Change capture from the database",
        [],
        "Capture every change that must reach the index.",
        ["T003 Outbox table filled by triggers", "T004 Ordered reader with a persisted cursor"],
      ),
      wp(
        "indexer-worker",
        "Incremental indexer",
        [1, 2],
        "Apply outbox changes to the index in batches.",
        [
          "T005 Batch outbox rows into bulk index requests",
          "T006 Retry partial bulk failures per document",
        ],
      ),
      wp("full-reindex", "Full reindex job", [1], "Rebuild the index without downtime.", [
        "T007 Build into a new index and swap the alias atomically",
        "T008 Throttle to 2k documents per second to protect the primary",
      ]),
      wp(
        "query-api",
        "Search query API",
        [1],
        "Serve search queries with highlights and pagination.",
        [
          "T009 GET /search with q, type and cursor pagination",
          "T010 Highlight matches in titles and snippets",
        ],
      ),
      wp(
        "permission-filter",
        "Permission filtering",
        [5],
        "Never show a result the caller may not see.",
        [
          "T011 Index visibility keys with each document",
          "T012 Filter by the caller's keys inside the query, never afterwards",
        ],
      ),
      wp("ranking", "Ranking and typo tolerance", [5], "Put the likely result first.", [
        "T013 Boost titles and recent activity",
        "T014 Fuzzy matching at edit distance 1 for terms over four characters",
      ]),
      wp(
        "search-ui",
        "Search box and results page",
        [5],
        "Make search reachable from everywhere.",
        ["T015 Command-K search box with keyboard navigation", "T016 Results page grouped by type"],
      ),
      wp("index-monitoring", "Index lag monitoring", [3], "Know when the index falls behind.", [
        "T017 Export outbox lag and bulk error metrics",
        "T018 Dashboard, and an alert at 60 seconds of lag",
      ]),
      wp("search-load-test", "Load test", [6, 7], "Prove the p95 target on realistic data.", [
        "T019 k6 scenario over one million seeded documents",
        "T020 Record p95 latency and tune the shard count",
      ]),
    ],
  },
  {
    slug: "015-dark-mode",
    title: "Dark mode",
    overview:
      "A dark theme that follows the operating system's setting by default, with a per-user override that persists across devices.",
    requirements: [
      "Every color comes from a design token; no hard-coded colors remain.",
      "The preference (system, light or dark) is stored on the user and applies on every device.",
      "Both themes meet WCAG AA contrast.",
      "The page never flashes the wrong theme while loading.",
    ],
    window: ["2026-10-05", "2026-10-21"],
    node: "cli",
    specifiers: [
      ["copilot", 0.5],
      ["claude", 0.5],
    ],
    implementers: [
      ["copilot", 0.5],
      ["opencode", 0.3],
      ["claude", 0.2],
    ],
    reviewers: [
      ["copilot", 0.4],
      ["claude", 0.3],
      ["gemini", 0.3],
    ],
    workPackages: [
      wp("color-tokens", "Color tokens", [], "Move every color to design tokens.", [
        "T001 Replace hard-coded colors with CSS custom properties",
        "T002 Light and dark token sets",
      ]),
      wp("theme-provider", "Theme provider", [1], "Apply the right theme from the first paint.", [
        "T003 prefers-color-scheme listener",
        "T004 Set data-theme before the first paint to avoid a flash",
      ]),
      wp(
        "preference-api",
        "Theme preference setting",
        [],
        "Store the user's choice on the server.",
        ["T005 users.theme column: system, light or dark", "T006 PATCH /me/preferences"],
      ),
      wp("settings-toggle", "Appearance settings toggle", [2, 3], "Let users pick a theme.", [
        "T007 Three-way toggle in Settings > Appearance",
        "T008 Sync open tabs with the storage event",
      ]),
      wp(
        "component-audit",
        "Component contrast audit",
        [1],
        "Fix the components that look wrong in dark mode.",
        [
          "T009 Charts, code blocks and badges in dark mode",
          "T010 Axe checks for AA contrast in both themes",
        ],
      ),
      wp(
        "visual-regression",
        "Visual regression snapshots",
        [4, 5],
        "Catch theme regressions in CI.",
        [
          "T011 Storybook snapshots in both themes",
          "T012 CI job that fails on unreviewed snapshot diffs",
        ],
      ),
      wp(
        "email-dark-mode",
        "Dark-mode friendly emails",
        [1],
        "Keep transactional emails readable in dark mail clients.",
        [
          "T013 color-scheme meta tags and dark-safe logos",
          "T014 Rendering checks in the five most used mail clients",
        ],
      ),
      wp("theming-guide", "Theming guide", [1, 2], "Show how new components use the tokens.", [
        "T015 Token reference generated from the CSS",
        "T016 Contrast do's and don'ts with examples",
      ]),
    ],
  },
  {
    slug: "016-audit-log-export",
    title: "Audit log and export",
    overview:
      "An append-only audit log of security-relevant actions that admins can search, export as CSV, or stream to their SIEM.",
    requirements: [
      "Every admin and authentication action is recorded with actor, target, IP address and time.",
      "Entries are tamper-evident: each tenant's entries form a hash chain.",
      "Admins can export up to one million entries as CSV.",
      "Entries can be streamed to a webhook or an S3 bucket.",
    ],
    window: ["2026-10-12", "2026-10-30"],
    node: "orchestrator",
    specifiers: [["claude", 1]],
    implementers: [
      ["claude", 0.5],
      ["codex", 0.5],
    ],
    reviewers: [
      ["gemini", 0.5],
      ["claude", 0.5],
    ],
    workPackages: [
      wp("audit-schema", "Audit event schema", [], "Define the audit entry and its storage.", [
        "T001 audit_events table, partitioned by month",
        "T002 Typed event catalogue: actor, action, target, metadata",
      ]),
      wp(
        "audit-writer",
        "Audit writer",
        [1],
        "Record entries reliably and make them tamper-evident.",
        [
          "T003 Record from the request context in the same transaction",
          "T004 Hash chain per tenant",
        ],
      ),
      wp(
        "instrument-auth",
        "Instrument authentication events",
        [2],
        "Record every authentication event.",
        [
          "T005 Sign-in, sign-out, MFA and password changes",
          "T006 Failed sign-ins with the reason",
        ],
      ),
      wp("instrument-admin", "Instrument admin actions", [2], "Record every admin action.", [
        "T007 Role changes, invitations and removals",
        "T008 Settings and billing changes",
      ]),
      wp(
        "audit-search-api",
        "Audit search API",
        [1],
        "Search the log by actor, action, target and time.",
        [
          "T009 Filters by actor, action, target and time range",
          "T010 Keyset pagination, newest first",
        ],
      ),
      wp("csv-export", "CSV export", [5], "Export large result sets without exhausting memory.", [
        "T011 Background export job with a signed download link",
        "T012 Stream rows to keep memory flat up to one million rows",
      ]),
      wp("siem-streaming", "SIEM streaming", [2], "Deliver entries to the customer's SIEM.", [
        "T013 Deliver batches to a webhook or an S3 bucket",
        "T014 At-least-once delivery with a per-tenant cursor",
      ]),
      wp("audit-admin-ui", "Audit log page", [5], "Give admins a page to browse the log.", [
        "T015 Table with filters and a detail drawer",
        "T016 Export button with progress",
      ]),
      wp("chain-verifier", "Hash chain verifier", [2], "Detect tampering.", [
        "T017 Command that verifies one tenant's chain",
        "T018 Nightly job that reports breaks",
      ]),
    ],
  },
  {
    slug: "017-api-rate-limiting",
    title: "API rate limiting",
    overview:
      "Per-token rate limits on the public API, with plan-based quotas, a burst allowance and the standard RateLimit headers.",
    requirements: [
      "Limits apply per API token according to its plan; anonymous calls are limited per IP address.",
      "Responses carry RateLimit headers; throttled calls get 429 with Retry-After.",
      "Limits change without a deploy.",
      "The limiter adds less than 2 ms at p99.",
    ],
    window: ["2026-10-21", "2026-10-30"],
    node: "orchestrator",
    specifiers: [
      ["claude", 0.5],
      ["gemini", 0.5],
    ],
    implementers: [
      ["opencode", 0.4],
      ["claude", 0.4],
      ["gemini", 0.2],
    ],
    reviewers: [
      ["codex", 0.6],
      ["copilot", 0.4],
    ],
    reviewedThrough: 5,
    workPackages: [
      wp("limiter-core", "Token-bucket limiter", [], "A fast, shared token bucket.", [
        "T001 Token bucket in Redis with a Lua script",
        "T002 Burst size and refill rate per plan",
      ]),
      wp("limit-config", "Limit configuration", [], "Make limits data, not code.", [
        "T003 Plan limits in the database with a 30-second cache",
        "T004 Per-token overrides for partners",
      ]),
      wp("api-middleware", "API middleware", [1, 2], "Apply the limits to every public API call.", [
        "T005 Limit by token, fall back to the IP address for anonymous calls",
        "T006 RateLimit-Limit, -Remaining and -Reset headers; 429 with Retry-After",
      ]),
      wp("limit-metrics", "Limit metrics", [3], "See who gets throttled.", [
        "T007 Count allowed and throttled requests per plan",
        "T008 Report of the most throttled tokens",
      ]),
      wp(
        "admin-overrides",
        "Admin override screen",
        [2],
        "Let support staff raise a partner's limits.",
        [
          "T009 Admin page to edit per-token overrides",
          "T010 Record every change in the audit log",
        ],
      ),
      wp("client-docs", "Developer docs", [3], "Tell API users how to behave under limits.", [
        "T011 Document the headers and the retry guidance",
        "T012 Backoff examples for the SDKs",
      ]),
      wp("limiter-load-test", "Overhead benchmark", [3], "Hold the 2 ms p99 budget.", [
        "T013 Measure p99 overhead at 5k requests per second",
        "T014 Fail the build above 2 ms",
      ]),
    ],
  },
];
