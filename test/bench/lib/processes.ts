// The benchmark's child processes: the test API server, the emulators and
// the operator, each a Node 22 process of its own process group, preloaded
// with guard.ts (so none outlives a driver that dies), output to a log file
// (never through the driver, whose event loop must stay free for timing),
// and stopped by pid only.
import { spawn, type ChildProcess } from 'node:child_process';
import { describeExit, signalGroup, stopGroup, type Exit } from '../../harness/child.ts';
export { describeExit, type Exit };
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GUARD = pathToFileURL(join(REPO_ROOT, 'test', 'harness', 'guard.ts')).href;

export interface SpawnOptions {
  name: string;
  /** Script path relative to the repository root. */
  script: string;
  args?: readonly string[];
  /** Node options before the script (diagnostics such as --cpu-prof). */
  nodeArgs?: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Every stdout and stderr line goes here. */
  logFile: string;
}


/** Only what Node needs: no cloud credentials, kubeconfig or proxy settings from the caller's environment. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
}

export class Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  #exit: Exit | undefined;
  readonly #proc: ChildProcess;

  constructor(opts: SpawnOptions) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    const fd = openSync(opts.logFile, 'a', 0o600);
    try {
      this.#proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', GUARD, join(REPO_ROOT, opts.script), ...(opts.args ?? [])], {
        cwd: REPO_ROOT,
        env: opts.env,
        detached: true,
        stdio: ['pipe', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    if (this.#proc.pid === undefined) throw new Error(`${opts.name}: could not start ${process.execPath}`);
    this.pid = this.#proc.pid;
    this.#proc.stdin?.on('error', () => {});
    this.exited = new Promise<Exit>((resolve) => {
      this.#proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 20): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** The first line of the log that `match` accepts (polled); rejects on exit or after `timeoutMs`. */
  async waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let offset = 0;
    let partial = '';
    for (;;) {
      const text = this.log();
      const fresh = partial + text.slice(offset);
      offset = text.length;
      const lines = fresh.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (match(line)) return line;
      if (!this.running) throw new Error(`${this.name} exited (${describeExit(this.#exit!)}) before it was ready:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(25);
    }
  }

  /** SIGTERM to its process group; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (this.#exit) return this.#exit;
    return stopGroup(this.#proc, this.exited, graceMs);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit) return;
    signalGroup(this.#proc, signal);
  }

  /** CPU seconds (user + system) and resident memory, from /proc (Linux). */
  stats(): ProcStats | undefined {
    return procStats(this.pid);
  }
}

export interface ProcStats {
  cpuSeconds: number;
  rssBytes: number;
}

const CLOCK_TICKS = 100;

export function procStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

/** Every child started; stopped in reverse order. */
export class ProcessGroup {
  readonly #children: Child[] = [];

  spawn(opts: SpawnOptions): Child {
    const child = new Child(opts);
    this.#children.push(child);
    return child;
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    for (const child of [...this.#children].reverse()) await child.stop(graceMs);
    this.#children.length = 0;
  }

  killAllNow(): void {
    for (const child of this.#children) child.signal('SIGKILL');
  }
}


export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
