// The CLI a separate operator process is pointed at via KUBECONFIG.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

describe('main.ts', () => {
  it('prints its URL and kubeconfig, serves clients that load that file, and stops on SIGTERM', async () => {
    const child = spawn('node_modules/.bin/node', ['test/kube-apiserver/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface(child.stdout), 'line')) as [string];
      const { url, kubeconfig } = JSON.parse(line) as { url: string; kubeconfig: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getCurrentCluster()?.server).toBe(url);
      const list = await kc.makeApiClient(CoreV1Api).listNamespace();
      expect(list.items.map((n) => n.metadata?.name)).toContain('default');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
