// TestApiServer: an in-process stand-in for kube-apiserver that the real
// @kubernetes/client-node talks to over HTTP.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { FaultInjector, type Faults } from './faults.ts';
import { createHandler } from './handler.ts';
import { Registry } from './registry.ts';
import type { RequestRecord } from './request-log.ts';

export interface TestApiServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** How many past events per resource a watch can replay before 410 Gone; default 1000. */
  watchWindow?: number;
  /** Interval between BOOKMARK events on watches that allow them; default 1000 ms (the real server: about a minute). */
  bookmarkIntervalMs?: number;
}

const NAME = 'test';
/** A placeholder bearer token: the server accepts any request. */
const TOKEN = 'test-token';

export class TestApiServer {
  readonly faults: Faults;
  readonly requests: RequestRecord[] = [];
  private readonly registry: Registry;
  private readonly injector: FaultInjector;
  private readonly host: string;
  private port: number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(options: TestApiServerOptions) {
    this.registry = new Registry({ historyCapacity: options.watchWindow ?? 1000, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000 });
    this.injector = new FaultInjector(this.registry.hub);
    this.faults = this.injector;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
  }

  static async start(options: TestApiServerOptions = {}): Promise<TestApiServer> {
    const server = new TestApiServer(options);
    await server.listen();
    return server;
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  private async listen(): Promise<void> {
    const server = createServer(
      createHandler({
        registry: this.registry,
        faults: this.injector,
        requests: this.requests,
        serverAddress: () => `${this.host}:${this.port}`,
      }),
    );
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const w of this.registry.hub.all()) w.drop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /**
   * A KubeConfig for this server (cluster, user and context named "test").
   * `token` identifies the client in the request log (RequestRecord.user).
   */
  kubeConfig(token: string = TOKEN): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: NAME, server: this.url, skipTLSVerify: true }],
      users: [{ name: NAME, token }],
      contexts: [{ name: NAME, cluster: NAME, user: NAME }],
      currentContext: NAME,
    });
    return kc;
  }

  /** The same configuration as a kubeconfig file body. */
  kubeconfigYaml(token: string = TOKEN): string {
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: NAME, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: NAME, user: { token } }],
      contexts: [{ name: NAME, context: { cluster: NAME, user: NAME } }],
      'current-context': NAME,
    });
  }

  /** Closes everything, including open watch streams. */
  async stop(): Promise<void> {
    await this.close();
  }

  /** Closes the listener and every connection, then listens again on the same port; all state is kept. */
  async restart(): Promise<void> {
    await this.close();
    await this.listen();
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Forgets watch history: watches and list continues from older resourceVersions now get 410. */
  compact(): void {
    this.registry.store.compact();
  }

  /** Bulk insert (defaults, validation, uid/resourceVersion/timestamps as on create); creates missing namespaces. */
  seed(objects: object[]): void {
    this.registry.seed(objects);
  }

  /** The current global resourceVersion. */
  get resourceVersion(): string {
    return String(this.registry.store.currentRv);
  }
}
