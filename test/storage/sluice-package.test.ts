import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SLUICE_VERSION } from "sluice";
import { runtimePackages, sluiceRoot, sluiceVersion } from "../../src/storage/docker/sluice-package.js";
import { repoRoot } from "./support.js";

describe("Sluice as a package for images", () => {
  it("finds its root and version (the same as the serialized version)", () => {
    assert.equal(sluiceRoot(), repoRoot.replace(/\/$/, ""));
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")) as { version: string };
    assert.equal(sluiceVersion(), pkg.version);
    assert.equal(SLUICE_VERSION, pkg.version, "src/core/version.ts matches package.json");
  });

  it("copies the production dependency closure, not the dev tools", () => {
    const packages = runtimePackages();
    const targets = new Set(packages.map((p) => p.target));
    for (const name of ["zod", "pino", "commander", "dockerode", "esbuild", "tsx"]) assert.ok(targets.has(`node_modules/${name}`), name);
    for (const name of ["typescript", "eslint", "@types/dockerode", "typescript-eslint"]) assert.equal(targets.has(`node_modules/${name}`), false, name);
    for (const p of packages) {
      assert.match(p.id, /^.+@\d/, p.target);
      assert.match(p.target, /^node_modules\/(@[^/]+\/)?[^/]+$/, "a checkout's packages go to /opt/sluice/node_modules/<name>");
    }
    assert.equal(
      packages.some((p) => packages.some((outer) => outer !== p && p.target.startsWith(`${outer.target}/`))),
      false,
      "a package nested in another comes with it, not twice",
    );
  });
});
