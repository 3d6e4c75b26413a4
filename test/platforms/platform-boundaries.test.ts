/**
 * A platform's classes are its own business: no file outside `src/platforms/<name>/` names one of them
 * (in code; comments may), so adding, changing or removing a platform stays inside its folder and the
 * registries built from the platform list. Two files are allowed to: `src/index.ts`, the package's public
 * surface, which exports the classes users construct (`new DockerEnvironment()`), and `src/testing/`,
 * whose suites take any kind's class as a parameter and name them only as examples.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");
const ALLOWED = [join("src", "index.ts"), join("src", "testing") + "/"];
/**
 * Known exceptions, each a dependency still to remove: the build() of the two Kubernetes kinds that build
 * their image returns a DockerEnvironment naming it (public behaviour), so the kubernetes platform still
 * names the docker platform's class (a type import and a lazy import).
 */
const KNOWN = new Set([
  "src/platforms/kubernetes/docker-on-kubernetes-environment.ts names DockerEnvironment (platform docker)",
  "src/platforms/kubernetes/cluster/cluster-on-kubernetes-environment.ts names DockerEnvironment (platform docker)",
]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The code of a file without its comments (a crude scan: enough for names in ordinary code). */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** Each platform folder → the classes it exports. */
function platformClasses(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const base = join(SRC, "platforms");
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const names = files(join(base, entry.name)).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/export (?:abstract )?class (\w+)/g)].map((m) => m[1]!),
    );
    out.set(entry.name, names);
  }
  return out;
}

describe("platform boundaries", () => {
  it("finds the classes of every platform", () => {
    const classes = platformClasses();
    assert.ok(classes.get("docker")?.includes("DockerEnvironment"));
    assert.ok(classes.get("kubernetes")?.includes("KubernetesJobEnvironment"));
    assert.ok(classes.get("kubernetes")?.includes("ClusterOnKubernetesEnvironment"), "the cluster/ subfolder counts as the platform's");
  });

  it("no file outside a platform's folder names one of its classes (src/index.ts and src/testing excepted)", () => {
    const offenders: string[] = [];
    for (const [platform, names] of platformClasses()) {
      if (names.length === 0) continue;
      const pattern = new RegExp(`\\b(${names.join("|")})\\b`);
      for (const file of files(SRC)) {
        const path = relative(ROOT, file);
        if (path.startsWith(join("src", "platforms", platform) + "/") || ALLOWED.some((allowed) => path === allowed || path.startsWith(allowed))) continue;
        const match = pattern.exec(code(readFileSync(file, "utf8")));
        const offence = match ? `${path} names ${match[1]} (platform ${platform})` : undefined;
        if (offence !== undefined && !KNOWN.has(offence)) offenders.push(offence);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
