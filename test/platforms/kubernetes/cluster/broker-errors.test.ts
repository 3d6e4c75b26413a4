/**
 * The ephemeral broker stops waiting at once on an answer retrying cannot change (a refused password, not
 * Redis), and keeps waiting on one that can (nothing listening yet). The errors come from ioredis talking
 * to servers that answer as such a Redis does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { compileRedis, connectRedis } from "../../../../src/executors/distributed/redis-connection.js";
import { isPermanentBrokerError } from "../../../../src/platforms/kubernetes/cluster/broker-launch.js";

const failure = async (url: string, password?: string): Promise<unknown> =>
  connectRedis(compileRedis({ url, ...(password ? { password } : {}), connectTimeoutMs: 1000 }), "kubestandin-broker-errors").then(
    (conn) => {
      conn.disconnect();
      return undefined;
    },
    (e: unknown) => e,
  );

/** A server answering every command (each RESP array) with `reply` (a Redis protocol error line, or anything else). */
async function answering(reply: string): Promise<{ url: string; server: Server }> {
  const server = createServer((s) =>
    s.on("data", (chunk: Buffer) => {
      const commands = Math.max(
        1,
        chunk
          .toString("latin1")
          .split("\r\n")
          .filter((l) => l.startsWith("*")).length,
      );
      s.write(reply.repeat(commands));
    }),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe("ephemeral broker: errors retrying cannot fix", { timeout: 20_000 }, () => {
  it("treats WRONGPASS and NOAUTH as permanent", async () => {
    for (const reply of ["-WRONGPASS invalid username-password pair or user is disabled.\r\n", "-NOAUTH Authentication required.\r\n"]) {
      const { url, server } = await answering(reply);
      try {
        const error = await failure(url, "secret");
        assert.ok(error, "the connection fails");
        assert.equal(isPermanentBrokerError(error), true, String(error));
      } finally {
        server.close();
      }
    }
  });

  it("treats a server that does not speak Redis as permanent", async () => {
    const { url, server } = await answering("HTTP/1.1 400 Bad Request\r\n\r\n");
    try {
      const error = await failure(url);
      assert.equal(isPermanentBrokerError(error), true, String(error));
    } finally {
      server.close();
    }
  });

  it("keeps retrying a connection refused (the broker is not listening yet)", async () => {
    const error = await failure("redis://127.0.0.1:1");
    assert.ok(error);
    assert.equal(isPermanentBrokerError(error), false, String(error));
  });
});
