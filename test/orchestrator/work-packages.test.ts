import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWorkPackages, resolveFeature } from "../../src/orchestrator/work-packages.js";
import { tempDir } from "../support/temp-project.js";

async function withTasks(files: Record<string, string>) {
  const root = await tempDir();
  const tasks = join(root, "kitty-specs", "007-search", "tasks");
  await mkdir(tasks, { recursive: true });
  await mkdir(join(root, "kitty-specs", "008-searchable"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(tasks, name), text);
  return root;
}

describe("work packages", () => {
  it("reads id, title, dependencies and the prompt body, in file order", async () => {
    const root = await withTasks({
      "WP02-api.md":
        "---\nwork_package_id: WP02\ntitle: API\ndependencies:\n  - WP01\n---\n\nBuild it.\n",
      "WP01-model.md": "---\nwork_package_id: WP01\n---\nModel.",
      "notes.md": "not a work package",
    });
    expect(await loadWorkPackages(root, "007-search")).toEqual([
      {
        id: "WP01",
        title: "WP01",
        dependencies: [],
        promptFile: "kitty-specs/007-search/tasks/WP01-model.md",
        body: "Model.",
      },
      {
        id: "WP02",
        title: "API",
        dependencies: ["WP01"],
        promptFile: "kitty-specs/007-search/tasks/WP02-api.md",
        body: "Build it.",
      },
    ]);
  });

  it.each([
    [
      "no frontmatter",
      "# WP01",
      "kitty-specs/007-search/tasks/WP01-a.md: no YAML frontmatter (--- ... ---) at the top",
    ],
    [
      "no id",
      "---\ntitle: A\n---\n",
      "kitty-specs/007-search/tasks/WP01-a.md: frontmatter must have required properties work_package_id",
    ],
    [
      "dependencies not a list",
      "---\nwork_package_id: WP01\ndependencies: WP00\n---\n",
      "kitty-specs/007-search/tasks/WP01-a.md: frontmatter /dependencies must be array",
    ],
  ])("refuses a prompt file with %s", async (_name, text, message) => {
    const root = await withTasks({ "WP01-a.md": text });
    await expect(loadWorkPackages(root, "007-search")).rejects.toThrow(message);
  });

  it.each([
    ["007-search", "007-search"],
    ["007", "007-search"],
    ["007-*", "007-search"],
  ])("--feature %s names %s", async (given, feature) => {
    expect(await resolveFeature(await withTasks({}), given)).toBe(feature);
  });

  it("an ambiguous prefix is an error naming the candidates", async () => {
    await expect(resolveFeature(await withTasks({}), "00")).rejects.toThrow(
      '"00" matches several features: 007-search, 008-searchable',
    );
  });
});
