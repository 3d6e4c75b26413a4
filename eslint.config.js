// Lint: type-aware rules that catch lost promises, type-only imports and import cycles, and the import
// rules between Sluice's folders (docs/ARCHITECTURE.md). test/lint/layering.test.ts checks that each
// import rule reports a forbidden import.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { sluiceLintPlugin } from "./scripts/lint/no-import-cycle.js";

const root = import.meta.dirname;
/** Absolute glob for a path under src/. */
const src = (path) => join(root, "src", path);

// Platforms: the known ones, plus any folder that appears under src/platforms/, so a new platform gets
// the same rules without editing this file.
const platformsDir = src("platforms");
const platforms = [
  ...new Set([
    "docker",
    "kubernetes",
    "aws",
    "local",
    ...(existsSync(platformsDir)
      ? readdirSync(platformsDir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : []),
  ]),
].sort();

// The public entry of executors and of storage: the folder's index.ts and registry.ts, and each kind's
// own index.ts (src/executors/distributed/index.ts, src/storage/results/index.ts) and schema.ts (zod
// schemas of its options that other components take as theirs, light: they load nothing of the kind).
// Everything else in those folders is internal to them.
// (Exceptions are globs: the zones' `from` are globs, and import-x then requires glob exceptions.)
const publicEntries = (area) => [src(`${area}/{index,registry}.ts`), src(`${area}/*/{index,schema}.ts`)];
// A platform's public entry: its index.ts, its platform.ts, its configuration fragment (config.ts, which
// the configuration schema reads without loading the platform) and public.ts (the classes the package
// exports, without their launch code).
const platformEntries = (name) => [src(`platforms/${name}/{index,platform,config,public}.ts`)];

/** Files under `target` may import, of Sluice's own code, only what `allowed` lists. */
const onlyImports = (target, allowed, message) => ({ target: src(`${target}/**`), from: src("**"), except: allowed, message });

const importZones = [
  onlyImports("core", [src("core/**")], "src/core imports nothing of Sluice outside src/core: the contracts stay free of I/O and of every other folder."),
  onlyImports("api", [src("api/**"), src("core/**")], "src/api (the API contract) imports only src/core: the server, the client and the UI all import it."),
  onlyImports(
    "executors",
    [src("executors/**"), src("core/**"), src("config/**"), ...publicEntries("storage")],
    "src/executors imports src/core, src/config and storage's public entry (index.ts, registry.ts, <kind>/index.ts, <kind>/schema.ts) only.",
  ),
  onlyImports(
    "storage",
    [src("storage/**"), src("core/**"), src("config/**"), ...publicEntries("executors")],
    "src/storage imports src/core, src/config and the executors' public entry (index.ts, registry.ts, <kind>/index.ts, <kind>/schema.ts) only.",
  ),
  onlyImports(
    "platforms",
    [
      src("platforms/**"),
      src("core/**"),
      src("config/**"),
      ...publicEntries("executors"),
      ...publicEntries("storage"),
      // A platform's agent deployer talks to the server and follows the agents' Deployer contract; its
      // environments give launched runs the deployed-run contract (labels, variables, event lines).
      src("client/@(index).ts"),
      src("agents/@(deployer).ts"),
      src("deployment/@(contract).ts"),
    ],
    "src/platforms imports src/core, src/config, the public entries of executors and storage (index.ts, registry.ts, <kind>/index.ts, <kind>/schema.ts), the client, the agents' Deployer contract and src/deployment/contract.ts only.",
  ),
  onlyImports(
    "server",
    [src("server/**"), src("api/**"), src("core/**"), src("config/**")],
    "src/server imports src/api, src/core, src/config and its own folders only.",
  ),
  onlyImports("client", [src("client/**"), src("api/**"), src("core/**")], "src/client imports src/api and src/core only (it never imports the server)."),
  onlyImports(
    "ui",
    [src("ui/**"), src("client/**"), src("api/**"), src("core/**")],
    "src/ui talks to the server through src/client only (src/api and src/core for types).",
  ),
  {
    target: src("agents/**"),
    // Every platform folder; the files beside the list (the list, the registries and capabilities built
    // from it) are how agents know the platforms.
    from: [src("platforms/*/**")],
    message: "src/agents knows the platforms only through src/platforms/*.ts (their list and what is built from it), never a platform's folder.",
  },
  // One platform never imports another, not even its public entry, nor the list of platforms. The shared
  // files beside the list (what describes a platform) are not a platform.
  ...platforms.map((name) => ({
    target: src(`platforms/${name}/**`),
    from: [src("platforms/*/**"), src("platforms/@(index).ts")],
    except: [src(`platforms/${name}/**`)],
    message: `src/platforms/${name} imports no other platform and not the platform list.`,
  })),
  // Code outside a platform reaches it only through its public entry.
  ...platforms.map((name) => ({
    target: [src("!(platforms)/**"), src("*.ts"), src("platforms/*.ts")],
    from: src(`platforms/${name}/**`),
    except: platformEntries(name),
    message: `Outside src/platforms/${name}/, import only its public entry (index.ts, platform.ts, config.ts or public.ts), never its internals.`,
  })),
  {
    target: [src("!(server)/**"), src("*.ts"), src("server/!(database)/**"), src("server/*.ts")],
    from: ["pg", "@types/pg", "better-sqlite3", "@types/better-sqlite3"].map((name) => join(root, "node_modules", name, "**")),
    message: "Only src/server/database imports a database driver (pg, better-sqlite3).",
  },
  {
    target: [src("!(cli|server)/**"), src("*.ts")],
    from: src("server/**"),
    message: "Only src/cli (sluice server start) imports src/server; other code talks to it through src/client.",
  },
  {
    target: [src("!(cli)/**"), src("*.ts")],
    from: src("cli/**"),
    message: "Nothing imports src/cli: it is the top of the house.",
  },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    plugins: { "import-x": importX, sluice: sluiceLintPlugin },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "warn",
      // Replaces import-x/no-cycle, which skips type-only imports.
      "sluice/no-import-cycle": "error",
      "import-x/no-restricted-paths": ["error", { basePath: root, zones: importZones }],
      "no-console": "off",
    },
    settings: {
      "import-x/extensions": [".ts", ".tsx", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [
        createTypeScriptImportResolver({ project: join(root, "tsconfig.json"), conditionNames: ["sluice-source", "import", "types", "default"] }),
      ],
    },
  },
  {
    // The web app (src/ui, with its own tsconfig for JSX and the DOM): the rules of hooks, and those of
    // the React compiler, which catch a ref read while rendering or state set in an effect. A missing
    // dependency of an effect or memo is an error here, not a warning: it is how a page shows stale data.
    files: ["src/ui/**/*.ts", "src/ui/**/*.tsx"],
    ...reactHooks.configs.flat.recommended,
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      "react-hooks/exhaustive-deps": "error",
      // It only says the React compiler would skip memoizing a component using @tanstack/react-virtual; the
      // app is not built with the compiler.
      "react-hooks/incompatible-library": "off",
    },
  },
  {
    // node:test's describe/it/before/after return promises the test runner itself awaits.
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] },
          ],
        },
      ],
    },
  },
);
