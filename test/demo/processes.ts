// The demo's child processes: each a Node process of its own process group
// (so a terminal's Ctrl-C reaches only the demo, which stops them in order),
// preloaded with guard.ts (so none outlives a demo that dies without
// cleaning up), and tracked by pid until it has exited.
import { spawn, type ChildProcess } from 'node:child_process';
import { describeExit, signalGroup, stopGroup, type Exit } from '../harness/child.ts';
export { describeExit, type Exit };
import type { WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GUARD = pathToFileURL(join(REPO_ROOT, 'test', 'harness', 'guard.ts')).href;
const TAIL_LINES = 30;

export interface SpawnOptions {
  /** For messages and the summary: `kube-apiserver`, `operator`, … */
  name: string;
  /** A script path relative to the repository root. */
  script: string;
  args?: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Where every stdout and stderr line goes, besides the in-memory tail. */
  log?: WriteStream;
  /** A client of the others: stopped (and waited for) before them. */
  stopFirst?: boolean;
  /** How long SIGTERM may take before SIGKILL; default 5 s. */
  stopGraceMs?: number;
}


export class Child {
  readonly name: string;
  readonly pid: number;
  readonly stopFirst: boolean;
  readonly stopGraceMs: number;
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  readonly #proc: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();

  constructor(opts: SpawnOptions) {
    this.name = opts.name;
    this.stopFirst = opts.stopFirst ?? false;
    this.stopGraceMs = opts.stopGraceMs ?? 5_000;
    this.#proc = spawn(process.execPath, ['--import', GUARD, join(REPO_ROOT, opts.script), ...(opts.args ?? [])], {
      cwd: REPO_ROOT,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.#proc.pid === undefined) throw new Error(`${opts.name}: could not start ${process.execPath}`);
    this.pid = this.#proc.pid;
    this.exited = new Promise<Exit>((resolve) => {
      this.#proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    // The guard's pipe: never written, closed only when the demo process goes away.
    this.#proc.stdin?.on('error', () => {});
    for (const stream of [this.#proc.stdout, this.#proc.stderr]) {
      if (!stream) continue;
      createInterface(stream).on('line', (line) => {
        opts.log?.write(`${line}\n`);
        this.#lines.push(line);
        if (this.#lines.length > TAIL_LINES) this.#lines.shift();
        for (const w of this.#waiters) {
          if (w.match(line)) {
            this.#waiters.delete(w);
            w.resolve(line);
          }
        }
      });
    }
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines it wrote (stdout and stderr), for error messages. */
  tail(): string {
    return this.#lines.join('\n');
  }

  /** The first line (from now on) that `match` accepts; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const earlier = this.#lines.find(match);
    if (earlier !== undefined) return Promise.resolve(earlier);
    return new Promise<string>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${this.name} did not report ready within ${timeoutMs} ms; its output:\n${this.tail()}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
      void this.exited.then((exit) => {
        if (!this.#waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${describeExit(exit)}) before it was ready; its output:\n${this.tail()}`));
      });
    });
  }

  /** SIGTERM to its process group; SIGKILL after `graceMs`. Resolves once it has exited. */
  async stop(graceMs = this.stopGraceMs): Promise<Exit> {
    if (this.#exit) return this.#exit;
    return stopGroup(this.#proc, this.exited, graceMs);
  }

  /** Signals the whole process group; a group already gone is fine. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exit) return;
    signalGroup(this.#proc, signal);
  }
}

/** Every child the demo started; the clients (the operator) are stopped before the servers they use. */
export class ProcessGroup {
  readonly #children: Child[] = [];
  readonly #onUnexpectedExit: (child: Child, exit: Exit) => void;
  #closed = false;

  /** `onUnexpectedExit`: a child ended before stopAll() asked it to. */
  constructor(opts: { onUnexpectedExit?: (child: Child, exit: Exit) => void } = {}) {
    this.#onUnexpectedExit = opts.onUnexpectedExit ?? (() => {});
  }

  spawn(opts: SpawnOptions): Child {
    if (this.#closed) throw new Error(`not starting ${opts.name}: the demo is stopping`);
    const child = new Child(opts);
    this.#children.push(child);
    void child.exited.then((exit) => {
      if (!this.#closed) this.#onUnexpectedExit(child, exit);
    });
    return child;
  }

  get children(): readonly Child[] {
    return this.#children;
  }

  /** Stops everything: first the clients, then the rest together. Refuses new children from now on. */
  async stopAll(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#children.filter((c) => c.stopFirst).map((c) => c.stop()));
    await Promise.all(this.#children.filter((c) => !c.stopFirst).map((c) => c.stop()));
  }

  /** Last resort from a synchronous `exit` handler: SIGKILL whatever still runs. */
  killAllNow(): void {
    for (const child of this.#children) child.signal('SIGKILL');
  }
}

