/**
 * A TCP proxy between Redis clients and a Redis server, for cutting the network in fault tests. While
 * cut, it forwards nothing in either direction and holds new connections without answering (what a
 * dropped link or a firewall that drops packets looks like to both ends: silence, not a reset).
 * `restore()` forwards again, including what was held (as TCP would retransmit it).
 *
 *   const proxy = await TcpProxy.start(6379);
 *   // point workers at proxy.url
 *   proxy.cut(); await sleep(30_000); proxy.restore();
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

interface Link {
  client: Socket;
  server: Socket;
  /** Bytes held while cut, in order, with the side they go to. */
  held: { to: Socket; data: Buffer }[];
}

export class TcpProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #cut = false;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on a free loopback port and forwards to `targetPort` on 127.0.0.1. */
  static start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, targetPort));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
        resolve(proxy);
      });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#links.size;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  #accept(client: Socket, targetPort: number): void {
    const server = connect({ host: "127.0.0.1", port: targetPort });
    const link: Link = { client, server, held: [] };
    this.#links.add(link);
    const forward =
      (to: Socket) =>
      (data: Buffer): void => {
        if (this.#cut) link.held.push({ to, data });
        else to.write(data);
      };
    client.on("data", forward(server));
    server.on("data", forward(client));
    const close = (): void => {
      this.#links.delete(link);
      client.destroy();
      server.destroy();
    };
    client.on("error", close).on("close", close);
    server.on("error", close).on("close", close);
  }

  /** Stops forwarding: every byte in either direction is held until restore(). */
  cut(): void {
    this.#cut = true;
  }

  /** Forwards again, starting with what was held. */
  restore(): void {
    this.#cut = false;
    for (const link of this.#links) {
      for (const { to, data } of link.held.splice(0)) to.write(data);
    }
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const { client, server } of this.#links) {
      client.destroy();
      server.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
