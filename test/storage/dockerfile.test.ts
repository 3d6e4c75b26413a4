import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowDockerfile } from "../../src/storage/docker/dockerfile.js";

describe("flow image Dockerfile", () => {
  it("puts env, dependencies, files, flows and the health check in that order", () => {
    const text = flowDockerfile({
      from: "sluice-runtime:abc",
      env: { A: "1", QUOTED: 'say "hi" $HOME \\ ok' },
      dependencies: true,
      files: [{ contextPath: "files/0", destination: "/opt/data/my file.json" }],
      healthCheck: true,
    });
    assert.equal(
      text,
      [
        "FROM sluice-runtime:abc",
        'ENV A="1" \\',
        '    QUOTED="say \\"hi\\" \\$HOME \\\\ ok"',
        'COPY ["deps/node_modules","/opt/sluice/flows/node_modules"]',
        'COPY ["files/0","/opt/data/my file.json"]',
        'COPY ["flows","/opt/sluice/flows"]',
        'RUN ["sluice","execute","health-check","--manifest","/opt/sluice/flows/manifest.json"]',
        "",
      ].join("\n"),
    );
  });

  it("leaves out what is not asked for", () => {
    assert.equal(
      flowDockerfile({ from: "r:1", env: {}, dependencies: false, files: [], healthCheck: false }),
      'FROM r:1\nCOPY ["flows","/opt/sluice/flows"]\n',
    );
  });
});
