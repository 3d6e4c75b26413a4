/**
 * The import rules of eslint.config.js can fail: each forbidden import, in a small file placed at the path
 * the rule is about, is reported, and the allowed neighbour of each is not. The probe files exist only in
 * memory (ESLint's lintText with a file path), and a resolver that maps a relative specifier to the .ts
 * file it names stands in for the TypeScript resolver, so the rules are checked for folders this tree does
 * not have yet (src/platforms/aws, src/deployment, src/ui). The cycle rule reads the files it walks, so its
 * probes are real files in a temporary directory.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ESLint, type Linter } from "eslint";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const configFile = join(root, "eslint.config.js");
const ZONES = "import-x/no-restricted-paths";
const CYCLE = "sluice/no-import-cycle";

/** Resolves "./x.js" to the absolute "x.ts" beside the importer, whether it exists or not; a package to a path in node_modules. */
const virtualResolver = {
  interfaceVersion: 3,
  name: "layering-test",
  resolve(modulePath: string, sourceFile: string) {
    if (modulePath.startsWith("node:")) return { found: true, path: null };
    if (!modulePath.startsWith(".")) return { found: true, path: join(root, "node_modules", modulePath, "index.js") };
    return { found: true, path: resolve(dirname(sourceFile), modulePath).replace(/\.js$/, ".ts") };
  },
};

/** The project's config, with parsing that needs no TypeScript program, running only the two import rules. */
function linter(cwd: string): ESLint {
  const override: Linter.Config = {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    settings: { "import-x/resolver-next": [virtualResolver] },
  };
  return new ESLint({ cwd, overrideConfigFile: configFile, overrideConfig: override, ruleFilter: ({ ruleId }) => ruleId === ZONES || ruleId === CYCLE });
}

/** The rule ids reported for `code` placed at `path` (relative to the repository). */
async function reported(eslint: ESLint, path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  assert.ok(result, `no lint result for ${path}`);
  const fatal = result.messages.find((m) => m.fatal === true || m.ruleId === null);
  assert.equal(fatal, undefined, `${path}: ${fatal?.message}`);
  return result.messages.map((m) => m.ruleId ?? "");
}

interface Probe {
  /** Where the importing file is. */
  file: string;
  /** What it imports. */
  from: string;
  /** The rule it breaks, or undefined when the import is allowed. */
  breaks?: string;
}

const probes: Probe[] = [
  // core imports nothing of ours outside itself
  { file: "src/core/probe.ts", from: "../config/index.js", breaks: "core imports config" },
  { file: "src/core/runner/probe.ts", from: "../../client/index.js", breaks: "core imports client" },
  { file: "src/core/probe.ts", from: "./errors.js" },
  // the API contract imports only core
  { file: "src/api/probe.ts", from: "../server/app.js", breaks: "api imports the server" },
  { file: "src/api/probe.ts", from: "../core/states.js" },
  // executors: core, config, storage's public entry
  { file: "src/executors/distributed/probe.ts", from: "../../storage/results/open.js", breaks: "executors import storage internals" },
  { file: "src/executors/distributed/probe.ts", from: "../../client/index.js", breaks: "executors import the client" },
  { file: "src/executors/local/probe.ts", from: "../../platforms/docker/index.js", breaks: "executors import a platform" },
  { file: "src/executors/distributed/probe.ts", from: "../../storage/results/index.js" },
  { file: "src/executors/distributed/probe.ts", from: "../../storage/registry.js" },
  { file: "src/executors/distributed/probe.ts", from: "../../config/index.js" },
  // storage: core, config, the executors' public entry
  { file: "src/storage/docker/probe.ts", from: "../../executors/distributed/session.js", breaks: "storage imports executor internals" },
  { file: "src/storage/docker/probe.ts", from: "../../server/app.js", breaks: "storage imports the server" },
  { file: "src/storage/docker/probe.ts", from: "../../executors/registry.js" },
  // platforms: core, config, the public entries of executors and storage, never each other
  { file: "src/platforms/docker/probe.ts", from: "../kubernetes/index.js", breaks: "docker imports kubernetes" },
  { file: "src/platforms/kubernetes/probe.ts", from: "../docker/docker-environment.js", breaks: "kubernetes imports docker internals" },
  { file: "src/index.ts", from: "./platforms/docker/public.js" },
  { file: "src/platforms/aws/probe.ts", from: "../kubernetes/platform.js", breaks: "aws imports kubernetes" },
  { file: "src/platforms/kubernetes/cluster/probe.ts", from: "../../index.js", breaks: "a platform imports the platform list" },
  { file: "src/platforms/kubernetes/probe.ts", from: "../../client/client.js", breaks: "a platform imports client internals" },
  { file: "src/platforms/kubernetes/probe.ts", from: "../../client/index.js" },
  { file: "src/platforms/docker/probe.ts", from: "../../deployment/flow-run-entry.js", breaks: "a platform imports the deployed-run entry" },
  { file: "src/platforms/docker/probe.ts", from: "../../deployment/contract.js" },
  { file: "src/platforms/local/probe.ts", from: "../../agents/agent.js", breaks: "a platform imports the agents' loop" },
  { file: "src/platforms/local/probe.ts", from: "../../agents/deployer.js" },
  { file: "src/platforms/kubernetes/probe.ts", from: "../../executors/distributed/session.js", breaks: "a platform imports executor internals" },
  { file: "src/platforms/kubernetes/cluster/probe.ts", from: "../job-spec.js" },
  { file: "src/platforms/docker/platform.ts", from: "../platform.js" },
  { file: "src/platforms/kubernetes/cluster/probe.ts", from: "../../../executors/distributed/index.js" },
  { file: "src/platforms/docker/probe.ts", from: "../../storage/docker/index.js" },
  { file: "src/platforms/aws/probe.ts", from: "../../core/environment.js" },
  // outside a platform: its index.ts or platform.ts only
  { file: "src/deployment/probe.ts", from: "../platforms/kubernetes/job-spec.js", breaks: "deployment imports platform internals" },
  { file: "src/index.ts", from: "./platforms/docker/docker-environment.js", breaks: "the package entry imports platform internals" },
  { file: "src/cli/commands/probe.ts", from: "../../platforms/aws/task-definition.js", breaks: "the CLI imports platform internals" },
  { file: "src/platforms/probe.ts", from: "./docker/docker-environment.js", breaks: "the platform list imports platform internals" },
  { file: "src/deployment/probe.ts", from: "../platforms/kubernetes/index.js" },
  { file: "src/cli/commands/probe.ts", from: "../../platforms/aws/platform.js" },
  { file: "src/platforms/probe.ts", from: "./docker/platform.js" },
  // agents know platforms only through src/platforms/*.ts (the list and what is built from it)
  { file: "src/agents/probe.ts", from: "../platforms/docker/index.js", breaks: "agents import a platform" },
  { file: "src/agents/probe.ts", from: "../platforms/environment-registry.js" },
  { file: "src/agents/probe.ts", from: "../platforms/kubernetes/platform.js", breaks: "agents import a platform's own entry" },
  { file: "src/agents/probe.ts", from: "../platforms/index.js" },
  // server: api, core, config, its own folders
  { file: "src/server/routes/probe.ts", from: "../../client/index.js", breaks: "the server imports the client" },
  { file: "src/server/routes/probe.ts", from: "../../platforms/index.js", breaks: "the server imports platforms" },
  { file: "src/server/routes/probe.ts", from: "../../api/index.js" },
  { file: "src/server/routes/probe.ts", from: "../database/index.js" },
  // only src/server/database imports a database driver, statically or lazily
  { file: "src/server/routes/probe.ts", from: "pg", breaks: "a route imports pg" },
  { file: "src/storage/results/probe.ts", from: "better-sqlite3", breaks: "storage imports better-sqlite3" },
  { file: "src/server/database/probe.ts", from: "pg" },
  { file: "src/server/database/probe.ts", from: "better-sqlite3" },
  // client: api and core
  { file: "src/client/probe.ts", from: "../server/openapi.js", breaks: "the client imports the server" },
  { file: "src/client/probe.ts", from: "../config/index.js", breaks: "the client imports config" },
  { file: "src/client/probe.ts", from: "../api/index.js" },
  // ui: the client (api and core for types)
  { file: "src/ui/pages/probe.ts", from: "../../server/app.js", breaks: "the UI imports the server" },
  { file: "src/ui/pages/probe.ts", from: "../../platforms/index.js", breaks: "the UI imports platforms" },
  { file: "src/ui/pages/probe.ts", from: "../../client/index.js" },
  // nothing imports the CLI; only the CLI imports the server
  { file: "src/agents/probe.ts", from: "../cli/output.js", breaks: "agents import the CLI" },
  { file: "src/deployment/probe.ts", from: "../server/start.js", breaks: "deployment imports the server" },
  { file: "src/cli/actions/probe.ts", from: "../../server/start.js" },
];

describe("import rules between folders (eslint.config.js)", () => {
  const eslint = linter(root);

  it("the project's config turns both import rules on as errors for source files", async () => {
    const config = (await eslint.calculateConfigForFile(join(root, "src/core/flow.ts"))) as Linter.Config;
    for (const rule of [ZONES, CYCLE]) {
      const entry = config.rules?.[rule];
      const severity = Array.isArray(entry) ? entry[0] : entry;
      assert.ok(severity === 2 || severity === "error", `${rule} is ${JSON.stringify(entry)}`);
    }
  });

  for (const probe of probes) {
    const title = probe.breaks ? `reports: ${probe.breaks} (${probe.file} imports ${probe.from})` : `allows ${probe.file} to import ${probe.from}`;
    it(title, async () => {
      // A static import and a lazy one are checked alike.
      for (const code of [`import { x } from "${probe.from}";\nexport const y = x;\n`, `export const load = () => import("${probe.from}");\n`]) {
        const rules = await reported(eslint, probe.file, code);
        // Two zones may both forbid an import (the client's and "only the CLI imports the server").
        if (probe.breaks) assert.ok(rules.length > 0 && rules.every((r) => r === ZONES), `${probe.breaks}: ${JSON.stringify(rules)} for ${code}`);
        else assert.deepEqual(rules, [], code);
      }
    });
  }
});

describe("import cycles, type-only ones included (sluice/no-import-cycle)", () => {
  let dir = "";
  let eslint: ESLint;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-layering-"));
    const files: Record<string, string> = {
      // a <-> b through types only: import-x/no-cycle does not see it
      "a.ts": `import type { B } from "./b.js";\nexport interface A { b?: B }\n`,
      "b.ts": `import { type A } from "./a.js";\nexport interface B { a?: A }\n`,
      // c -> d -> e -> c, one edge a lazy import
      "c.ts": `import { d } from "./d.js";\nexport const c = () => d;\n`,
      "d.ts": `export type { E } from "./e.js";\nexport const d = 1;\n`,
      "e.ts": `export type E = number;\nexport const e = () => import("./c.js");\n`,
      // f -> g, no way back
      "f.ts": `import type { G } from "./g.js";\nexport type F = G[];\n`,
      "g.ts": `import { z } from "zod";\nexport type G = z.infer<z.ZodString>;\n`,
    };
    for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code);
    eslint = linter(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports both files of a cycle made of type-only imports", async () => {
    const results = await eslint.lintFiles([join(dir, "a.ts"), join(dir, "b.ts")]);
    for (const result of results)
      assert.deepEqual(
        result.messages.map((m) => m.ruleId),
        [CYCLE],
        result.filePath,
      );
  });

  it("reports a longer cycle through a re-export and a dynamic import, naming the route", async () => {
    const [result] = await eslint.lintFiles([join(dir, "c.ts")]);
    assert.deepEqual(
      result?.messages.map((m) => m.ruleId),
      [CYCLE],
    );
    assert.match(result?.messages[0]?.message ?? "", /d\.ts -> .*e\.ts leads back/);
  });

  it("does not report imports that do not lead back", async () => {
    const results = await eslint.lintFiles([join(dir, "f.ts"), join(dir, "g.ts")]);
    for (const result of results) assert.deepEqual(result.messages, [], result.filePath);
  });
});
