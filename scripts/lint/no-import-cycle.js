// ESLint rule `sluice/no-import-cycle`: a module must not reach itself through its imports, whatever kind
// they are. import-x's `no-cycle` skips `import type` (and imports whose every specifier is a type), so a
// pair of files that only exchange types never shows up there; they still tie two modules together, and
// the pair cannot be understood, moved or split one at a time. This rule walks every edge: value, type,
// re-export and dynamic `import()`. It reuses import-x's resolver settings and its cached module graph.
import { relative } from "node:path";
import { ModuleInfo } from "eslint-plugin-import-x/core/index";
import { moduleVisitor } from "eslint-plugin-import-x/utils";

const outsideProject = (path) => path.includes("/node_modules/") || path.includes("\\node_modules\\");

/** @type {import("eslint").Rule.RuleModule} */
export const noImportCycle = {
  meta: {
    type: "problem",
    docs: { description: "Forbid import cycles, counting type-only and dynamic imports." },
    schema: [],
    messages: { cycle: "Import cycle: {{route}} leads back to this file. Move the shared part to a module both can import." },
  },
  create(context) {
    const filename = context.physicalFilename;
    if (filename === "<text>") return {};
    // Modules already explored from this file: if one led back here it would have been reported then.
    const explored = new Set();
    return moduleVisitor((source, importer) => {
      const start = ModuleInfo.get(source.value, context);
      if (start == null || start.path === filename || outsideProject(start.path) || explored.has(start.path)) return;
      explored.add(start.path);
      const shown = (path) => relative(context.cwd, path);
      const queue = [{ info: () => start, route: [shown(start.path)] }];
      while (queue.length > 0) {
        const { info, route } = queue.shift();
        const module = info();
        if (module == null) continue;
        for (const [path, { resolve, declarations }] of module.getImports()) {
          if (outsideProject(path) || declarations.size === 0) continue;
          if (path === filename) {
            context.report({ node: importer, messageId: "cycle", data: { route: route.join(" -> ") } });
            return;
          }
          if (explored.has(path)) continue;
          explored.add(path);
          queue.push({ info: resolve, route: [...route, shown(path)] });
        }
      }
    });
  },
};

export const sluiceLintPlugin = { meta: { name: "sluice" }, rules: { "no-import-cycle": noImportCycle } };
