/**
 * A private `redis-server` for fault tests: its own process on a free port, without persistence
 * (`--save ''`, `--appendonly no`), so a restart loses every key, as a Redis without persistence does.
 * Never the shared Redis the other suites use.
 *
 *   const redis = await PrivateRedis.start();
 *   await redis.restart();            // SIGKILL, then a new empty server on the same port
 *   await redis.stop();
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo } from "node:net";

/** Why a private redis-server cannot be started here (the binary is missing), or null. */
export function privateRedisUnavailable(): string | null {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "pipe" });
    return null;
  } catch {
    return "redis-server is not installed (apt-get install redis-server)";
  }
}

/** A TCP port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something answers PING on the port with PONG (rejects after `ms`). */
async function waitForPong(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      const done = (value: boolean): void => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.on("error", () => done(false));
      socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (d: Buffer) => done(d.toString().includes("PONG")));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class PrivateRedis {
  readonly port: number;
  #child: ChildProcess | undefined;
  #log = "";

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts a server on a free port (or `port`). */
  static async start(port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()));
    await redis.#spawn();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's process id (undefined while it is down). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.#log;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", "/tmp", "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    // A test process that crashes must not leave its private server running.
    const reap = (): void => void child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.off("exit", reap));
    child.stdout!.on("data", (d: Buffer) => (this.#log += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.#log += d.toString()));
    this.#child = child;
    await waitForPong(this.port, 10_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.#log}`);
    });
  }

  /** Kills the server (SIGKILL: no goodbye to clients) and waits for its exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  /** Kills the server, waits `downMs`, and starts an empty one on the same port. */
  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.#spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
