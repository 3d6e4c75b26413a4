import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { flow, task, DockerStorage, SluiceError } from "sluice";
import { configSchema } from "../../src/config/schema.js";
import { createBuildOutput } from "../../src/storage/build-output.js";
import { dockerOptionsFor, engineMessage } from "../../src/storage/docker/engine.js";
import { healthCheckFailures, runHealthCheck } from "../../src/storage/docker/healthcheck.js";
import { removeDir, scratchDir, writeFiles } from "./support.js";

function sink(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

describe("build output", () => {
  it("in a terminal, redraws one progress line below the scrolling lines", () => {
    const s = sink();
    const out = createBuildOutput({ stream: s.stream, interactive: true });
    out.progress!({ id: "l1", status: "Pushing", current: 5_000_000, total: 10_000_000 });
    out.progress!({ id: "l2", status: "Pushed" });
    out.line("Step 2/3 : COPY flows");
    out.done();
    const text = s.text();
    /* eslint-disable no-control-regex -- the terminal's erase-line sequence */
    assert.match(text, /\r\u001b\[2KPushing: 1\/2 layers, 5\.0 MB \/ 10\.0 MB/);
    assert.match(text, /\r\u001b\[2KStep 2\/3 : COPY flows\n/, "a line clears the progress line first");
    /* eslint-enable no-control-regex */
    assert.ok(text.endsWith("\r\u001b[2K"), "done() clears the progress line");
  });

  it("elsewhere, prints plain lines and one line per layer status change", () => {
    const s = sink();
    const out = createBuildOutput({ stream: s.stream, prefix: "[etl] " });
    out.progress!({ id: "l1", status: "Pushing", current: 1, total: 10 });
    out.progress!({ id: "l1", status: "Pushing", current: 5, total: 10 });
    out.progress!({ id: "l1", status: "Pushed" });
    out.line("done");
    assert.equal(s.text(), "[etl] l1: Pushing\n[etl] l1: Pushed\n[etl] done\n");
  });
});

describe("engine helpers", () => {
  it("parses engine addresses", () => {
    assert.equal(dockerOptionsFor(undefined), undefined);
    assert.deepEqual(dockerOptionsFor("unix:///var/run/docker.sock"), { socketPath: "/var/run/docker.sock" });
    assert.deepEqual(dockerOptionsFor("/tmp/d.sock"), { socketPath: "/tmp/d.sock" });
    assert.deepEqual(dockerOptionsFor("tcp://10.0.0.2:2375"), { host: "10.0.0.2", port: 2375, protocol: "http" });
    assert.deepEqual(dockerOptionsFor("https://d.example"), { host: "d.example", port: 2376, protocol: "https" });
  });

  it("keeps the engine's own message", () => {
    assert.equal(
      engineMessage({ message: "(HTTP code 404) no such image - No such image: x:1 ", json: { message: "No such image: x:1" } }),
      "No such image: x:1",
    );
    assert.equal(engineMessage(new Error('(HTTP code 500) server error - Get "https://r/v2/": refused')), 'Get "https://r/v2/": refused');
  });

  it("fails a build with the engine's address when the engine does not answer", async () => {
    const storage = new DockerStorage({ baseImage: "x:1" });
    storage.addFlow(flow("no-engine", {}, () => task("t", async () => 1)()));
    const config = configSchema().parse({ docker: { host: "unix:///tmp/sluice-no-such-docker.sock" } });
    await assert.rejects(
      storage.build({ config }),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === "SERVICE_UNAVAILABLE" &&
        /Docker engine at unix:\/\/\/tmp\/sluice-no-such-docker\.sock is not reachable/.test(e.message),
    );
  });
});

describe("health check", () => {
  it("loads every flow of a manifest and reports the ones that fail, marked for the build log", async () => {
    const dir = scratchDir("healthcheck");
    try {
      const good = writeFiles(dir, {
        "good.mjs": 'import { flow, task } from "sluice";\nexport const g = flow("good", {}, () => task("t", async () => 1)());\n',
      });
      const bad = writeFiles(dir, { "bad.mjs": 'throw new Error("cannot import me");\n' });
      const manifest = writeFiles(dir, {
        "manifest.json": JSON.stringify({
          sluiceVersion: "0.1.0",
          flows: [
            { name: "good", module: good },
            { name: "bad", module: bad },
            { name: "absent", module: good },
          ],
        }),
      });
      const lines: string[] = [];
      assert.equal(await runHealthCheck(manifest, (l) => lines.push(l)), false);
      assert.match(lines[0]!, /^health check: flow "good" loads/);
      const failures = healthCheckFailures(["Step 3/4 : RUN ...", ...lines]);
      assert.deepEqual(
        failures.map((f) => f.flow),
        ["bad", "absent"],
      );
      assert.match(failures[0]!.error, /cannot import me/);
      assert.match(failures[1]!.error, /no flow named "absent"/);
    } finally {
      removeDir(dir);
    }
  });
});
