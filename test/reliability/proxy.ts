// A loopback HTTP proxy in front of an emulator that holds back requests of
// chosen API actions (by the x-acs-action / x-tc-action header) and then
// forwards them anyway, whether or not the client is still waiting: the
// "request timed out at the client but the service applied it later" fault,
// per action (the Alibaba emulator's own latency applies to every action).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class DelayProxy {
  readonly url: string;
  readonly #server: http.Server;
  readonly #target: URL;
  readonly #delays = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #pending = new Set<Promise<void>>();
  /** Requests forwarded after their client had given up. */
  late = 0;
  /** Requests received, by action. */
  readonly arrived = new Map<string, number>();
  /** Requests forwarded, by action. */
  readonly forwarded = new Map<string, number>();

  private constructor(server: http.Server, url: string, target: string) {
    this.#server = server;
    this.url = url;
    this.#target = new URL(target);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const done = this.#handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) res.writeHead(502).end();
      });
      this.#pending.add(done);
      void done.finally(() => this.#pending.delete(done));
    });
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(target: string): Promise<DelayProxy> {
    const server = http.createServer({ maxHeaderSize: 256 * 1024 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new DelayProxy(server, `http://127.0.0.1:${port}`, target);
  }

  /** Hold requests for `action` this long before forwarding them (0 lifts it). */
  delay(action: string, ms: number): void {
    if (ms > 0) this.#delays.set(action, ms);
    else this.#delays.delete(action);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const action = String(req.headers['x-acs-action'] ?? req.headers['x-tc-action'] ?? '');
    this.arrived.set(action, (this.arrived.get(action) ?? 0) + 1);
    const hold = this.#delays.get(action) ?? 0;
    if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
    if (res.destroyed || req.socket.destroyed) this.late += 1;
    this.forwarded.set(action, (this.forwarded.get(action) ?? 0) + 1);
    await new Promise<void>((resolve, reject) => {
      const upstream = http.request(
        { host: this.#target.hostname, port: this.#target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            if (!res.destroyed && !res.headersSent) {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(parts));
            }
            resolve();
          });
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#server.closeAllConnections();
    await closed;
  }
}
