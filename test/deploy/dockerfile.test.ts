// Static checks of the Dockerfile and .dockerignore (no Docker on the build
// machines; test/tools/check-prod-install.ts exercises the runtime stage's
// npm install and start instead).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAddress, SETTINGS } from '../../src/config.ts';
import { kustomizeBuild } from '../tools/render-install.ts';
import { one, repoRoot, type Obj } from './lib/chart.ts';
import { packageVersion, podSpec } from './lib/checks.ts';

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile → stages of instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      const next = lines[++i] ?? '';
      if (/^\s*#/.test(next)) continue;
      line = `${line.replace(/\\\s*$/, ' ')}${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile:${start + 1}: cannot parse ${line}`);
    instructions.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start + 1 });
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? '', name: m?.[2], instructions: [] });
    } else if (stages.length === 0) {
      args.push(ins);
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { args, stages };
}

/** Whether .dockerignore keeps `path` out of the build context (moby's patternmatcher rules). */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRegex = (pattern: string) => {
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] ?? '';
      if (pattern.startsWith('**/', i)) {
        re += '(?:.*/)?';
        i += 2;
      } else if (pattern.startsWith('**', i)) {
        re += '.*';
        i += 1;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  };
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = toRegex(pattern);
    if (candidates.some((c) => re.test(c))) ignored = !negate;
  }
  return ignored;
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const { args, stages } = parseDockerfile(dockerfile);
const final = stages.at(-1) as Stage;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const ignorePatterns = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('is multi-stage, every stage on Node 22', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from, `FROM line of stage ${s.name ?? '?'}`).toMatch(/^node:22-(bookworm-slim|alpine)(@sha256:[a-f0-9]{64})?$/);
    expect(stages.slice(0, -1).every((s) => s.name)).toBe(true);
    expect(args).toEqual([]);
  });

  it('a build stage installs everything and compiles with npm run build', () => {
    const build = stages.find((s) => ops(s, 'RUN').some((r) => /\bnpm run build\b/.test(r.args)));
    expect(build, 'a stage running npm run build').toBeDefined();
    const installs = ops(build as Stage, 'RUN').filter((r) => /\bnpm ci\b/.test(r.args));
    expect(installs.length).toBe(1);
    expect(installs[0]?.args).not.toMatch(/--omit=dev|--production/);
    expect(build).not.toBe(final);
  });

  it('the runtime stage gets only dist/, the package manifests and production dependencies', () => {
    const copies = ops(final, 'COPY');
    const fromContext = copies.filter((c) => !/--from=/.test(c.args));
    for (const c of fromContext) {
      const sources = c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      expect(sources.every((src) => ['package.json', 'package-lock.json'].includes(src)), `COPY ${c.args}`).toBe(true);
    }
    const fromStages = copies.filter((c) => /--from=/.test(c.args)).map((c) => c.args);
    expect(fromStages.some((a) => /\bdist\/?\s/.test(a))).toBe(true);
    expect(fromStages.some((a) => /node_modules\/?\s/.test(a))).toBe(true);
    // Sources relative to the stage they come from: nothing from test/, src/, charts/, deploy/ or .git.
    for (const c of copies) {
      const from = /--from=(\S+)/.exec(c.args)?.[1];
      const workdir = `${ops(stages.find((s) => s.name === from) ?? final, 'WORKDIR').at(-1)?.args ?? ''}/`;
      const sources = c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const src of sources) {
        const relative = src.startsWith(workdir) ? src.slice(workdir.length) : src;
        expect(relative, `COPY ${c.args}`).not.toMatch(/^(\.\/)?(test|tests|src|charts|deploy|crds|\.git)(\/|$)/);
      }
    }
    // node_modules comes from a stage that installed production dependencies only.
    const depsFrom = /--from=(\S+)/.exec(fromStages.find((a) => /node_modules/.test(a)) ?? '')?.[1];
    const deps = stages.find((s) => s.name === depsFrom);
    expect(ops(deps as Stage, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args))).toBe(true);
    expect(ops(deps as Stage, 'COPY').every((c) => /^package\.json package-lock\.json \.\/$/.test(c.args))).toBe(true);
    expect(ops(final, 'ADD')).toEqual([]);
  });

  it('runs as a numeric non-root user, the one the manifests expect', () => {
    const users = ops(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const lastUser = final.instructions.lastIndexOf(users.at(-1) as Instruction);
    expect(final.instructions.slice(lastUser).filter((i) => i.op === 'RUN'), 'no RUN after USER').toEqual([]);
    const deployment = one(kustomizeBuild(join(repoRoot, 'deploy')) as Obj[], 'Deployment');
    expect(podSpec(deployment).securityContext?.runAsUser).toBe(Number(user.split(':')[0]));
  });

  it('starts the operator with the image\'s node, in production mode', () => {
    const entry = ops(final, 'ENTRYPOINT').at(-1)?.args ?? '';
    expect(JSON.parse(entry)).toEqual(['node', 'dist/main.js']);
    expect(ops(final, 'CMD')).toEqual([]);
    expect(ops(final, 'ENV').some((e) => /\bNODE_ENV=production\b/.test(e.args))).toBe(true);
  });

  it('carries OCI labels with the package version', () => {
    const labels = ops(final, 'LABEL').map((l) => l.args).join(' ');
    for (const key of ['title', 'description', 'version', 'source', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    const version = ops(final, 'ARG').find((a) => a.args.startsWith('VERSION='));
    expect(version?.args).toBe(`VERSION=${packageVersion}`);
  });

  it('exposes the default metrics and health ports', () => {
    const ports = ops(final, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map(Number).sort();
    expect(ports).toEqual([parseAddress(SETTINGS.metricsAddr.default)?.port, parseAddress(SETTINGS.healthAddr.default)?.port].sort());
  });

  it('holds no secrets', () => {
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'ARG' || x.op === 'ENV')) {
        expect(i.args, `line ${i.line}`).not.toMatch(/(SECRET|TOKEN|PASSWORD|ACCESS_?KEY|NPM_?AUTH)/i);
      }
    }
    expect(dockerfile).not.toMatch(/_authToken|\.npmrc/);
  });
});

describe('.dockerignore', () => {
  it('keeps the build context to what the build stage copies', () => {
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/main.ts', 'src/tsconfig.json', 'src/providers/alibaba/client.ts']) {
      expect(dockerIgnored(ignorePatterns, p), p).toBe(false);
    }
    for (const p of ['node_modules/yaml/package.json', 'dist/main.js', 'test/deploy/chart.test.ts', '.git/HEAD', 'charts/cdn-cert-sync/Chart.yaml', 'deploy/install.yaml', 'crds/x.yaml', '.ci/run', 'README.md', 'coverage/index.html', 'Dockerfile', '.env', 'src/.env', 'src/dev-key.pem']) {
      expect(dockerIgnored(ignorePatterns, p), p).toBe(true);
    }
  });

  it('lets in every file the Dockerfile copies from the context', () => {
    for (const s of stages) {
      for (const c of ops(s, 'COPY').filter((x) => !/--from=/.test(x.args))) {
        const sources = c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
        for (const src of sources) expect(dockerIgnored(ignorePatterns, src.replace(/\/$/, '')), `COPY ${src}`).toBe(false);
      }
    }
  });

  it('the matcher follows Docker: later patterns win, ! re-includes, parents match', () => {
    expect(dockerIgnored(['*', '!src/'], 'src/a/b.ts')).toBe(false);
    expect(dockerIgnored(['*', '!src/', '**/*.pem'], 'src/a/b.pem')).toBe(true);
    expect(dockerIgnored(['node_modules'], 'node_modules/x/y.js')).toBe(true);
    expect(dockerIgnored(['node_modules'], 'src/node_modules.ts')).toBe(false);
  });
});
