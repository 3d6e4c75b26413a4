/**
 * Detection of the real services some suites need (Docker engine, registry, Redis, PostgreSQL, Chromium).
 * A suite whose service is missing is skipped with a visible reason, except under CI=true, where the
 * missing service is a failing test (CI must not pass by skipping).
 *
 * Usage:
 *   serviceSuite(["docker", "registry"], "DockerStorage", () => { it(...) });
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { request } from "node:http";
import { access, constants } from "node:fs/promises";

export type Service = "docker" | "registry" | "redis" | "postgres" | "chromium";

/** Connection settings of the services, from the environment (written by scripts/services.sh). */
export const services = {
  dockerSocket: (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, ""),
  registry: process.env.TEST_REGISTRY ?? "127.0.0.1:5000",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  postgresUrl: process.env.SLUICE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5433/sluice_test",
  chromiumPath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  nodeImage: process.env.TEST_NODE_IMAGE ?? "node20-local:base",
};

/**
 * How long a probe waits for an answer. A missing service refuses the connection at once, so this bound only
 * matters for a service that is slow to answer, or for a test process whose event loop is busy (a suite
 * building something synchronously): there a short bound would skip a suite whose service is running.
 */
const PROBE_TIMEOUT_MS = 10_000;

function tcpProbe(host: string, port: number, hello?: string, expect?: RegExp): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(`no answer from ${host}:${port} within ${PROBE_TIMEOUT_MS / 1000} s`));
    socket.on("error", (e) => done(`${host}:${port}: ${e.message}`));
    socket.on("connect", () => {
      if (!hello) return done(null);
      socket.write(hello);
    });
    socket.on("data", (d) => done(expect && !expect.test(d.toString()) ? `unexpected answer from ${host}:${port}` : null));
  });
}

function httpProbe(options: { socketPath?: string; host?: string; port?: number; path: string }): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ ...options, method: "GET", timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode && res.statusCode < 500 ? null : `HTTP ${res.statusCode}`);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`);
    });
    req.on("error", (e) => resolve(e.message));
    req.end();
  });
}

const cache = new Map<Service, Promise<string | null>>();

/** Resolves to null when the service answers, else to the reason it is unavailable. */
export function serviceUnavailable(service: Service): Promise<string | null> {
  let probe = cache.get(service);
  if (!probe) {
    probe = probeService(service);
    cache.set(service, probe);
  }
  return probe;
}

async function probeService(service: Service): Promise<string | null> {
  switch (service) {
    case "docker": {
      const r = await httpProbe({ socketPath: services.dockerSocket, path: "/_ping" });
      return r && `Docker engine at ${services.dockerSocket}: ${r} (start it with: bash scripts/services.sh start)`;
    }
    case "registry": {
      const [host, port] = services.registry.split(":");
      const r = await httpProbe({ host, port: Number(port), path: "/v2/" });
      return r && `registry at ${services.registry}: ${r}`;
    }
    case "redis": {
      const u = new URL(services.redisUrl);
      const r = await tcpProbe(u.hostname, Number(u.port || 6379), "PING\r\n", /PONG|NOAUTH/);
      return r && `Redis at ${services.redisUrl}: ${r}`;
    }
    case "postgres": {
      const u = new URL(services.postgresUrl);
      const r = await tcpProbe(u.hostname, Number(u.port || 5432));
      return r && `PostgreSQL at ${services.postgresUrl}: ${r}`;
    }
    case "chromium":
      try {
        await access(services.chromiumPath, constants.X_OK);
        return null;
      } catch {
        return `Chromium not found at ${services.chromiumPath} (apt-get install --no-install-recommends chromium)`;
      }
  }
}

/** The reason the first missing service of the list is unavailable, or null when all answer. */
export async function missingServices(needs: readonly Service[]): Promise<string | null> {
  for (const s of needs) {
    const reason = await serviceUnavailable(s);
    if (reason) return reason;
  }
  return null;
}

/**
 * A describe() block that runs only when every service in `needs` answers. When one is missing the
 * suite is skipped with the reason; under CI=true it becomes one failing test naming the reason.
 */
export async function serviceSuite(needs: readonly Service[], name: string, body: () => void): Promise<void> {
  const reason = await missingServices(needs);
  if (!reason) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it(`needs ${needs.join(", ")}`, () => assert.fail(`service missing under CI=true: ${reason}`));
    });
  } else {
    describe(name, { skip: `needs ${needs.join(", ")}: ${reason}` }, body);
  }
}

/** Removes a Docker image a suite built, if it built one; an image already gone is not an error. */
export async function removeImage(image: string | undefined): Promise<void> {
  if (!image) return;
  const { default: Docker } = await import("dockerode");
  await new Docker({ socketPath: services.dockerSocket })
    .getImage(image)
    .remove()
    .catch(() => undefined);
}
