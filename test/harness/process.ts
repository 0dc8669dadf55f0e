// The operator as its own process (`node src/main.ts`), the way it runs in a
// pod: for leader election, signals and exit codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApiServer } from '../kube-apiserver/index.ts';
import { waitFor } from './env.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

export function writeKubeconfig(api: TestApiServer): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccs-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, api.kubeconfigYaml());
  return path;
}

export class OperatorProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  health = '';
  metrics = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'info',
        HEALTH_ADDR: '127.0.0.1:0',
        METRICS_ADDR: '127.0.0.1:0',
        // Never the real clouds from a test.
        ALIBABA_CDN_ENDPOINT: 'http://127.0.0.1:9',
        TENCENT_TEO_ENDPOINT: 'http://127.0.0.1:9',
        TENCENT_SSL_ENDPOINT: 'http://127.0.0.1:9',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        if (line.includes('serving health and metrics')) {
          const parsed = JSON.parse(line) as { health?: string; metrics?: string };
          this.health = parsed.health ?? '';
          this.metrics = parsed.metrics ?? '';
        }
      }
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async ready(): Promise<this> {
    await waitFor('operator endpoints', () => this.health && this.metrics, 20_000);
    return this;
  }

  async get(what: 'health' | 'metrics', path: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://${this[what]}${path}`);
    return { status: res.status, text: await res.text() };
  }

  /** A sample's value from /metrics (0 when absent). */
  async metric(name: string): Promise<number> {
    const { text } = await this.get('metrics', '/metrics');
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}
