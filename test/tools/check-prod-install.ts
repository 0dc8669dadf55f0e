// Slow check of what the Dockerfile's runtime stage gets, without Docker:
// copies package.json, package-lock.json and dist/ into a temporary
// directory, installs the production dependencies exactly like the
// Dockerfile's `deps` stage (npm ci --omit=dev --ignore-scripts), and runs
// `node dist/main.js --help` there with Node 22. Not part of the default
// test suite (it needs the network to the npm registry and a built dist/):
//   npm run build
//   node_modules/.bin/node test/tools/check-prod-install.ts [--keep]
// Exits non-zero, saying why, when the production install or the start fails.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const keep = process.argv.includes('--keep');

function fail(message: string): never {
  process.stderr.write(`check-prod-install: FAIL: ${message}\n`);
  process.exit(1);
}

/** npm's CLI script, to run with this (Node 22) process rather than the system node. */
function npmCli(): string {
  const candidates = [process.env.npm_execpath];
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(join(dirname(realpathSync(which.stdout.trim())), 'npm-cli.js'));
  const found = candidates.find((c): c is string => Boolean(c && c.endsWith('.js') && existsSync(c)));
  if (!found) fail('cannot find npm-cli.js (is npm installed?)');
  return found;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

if (!existsSync(join(root, 'dist', 'main.js'))) fail('dist/main.js is missing: run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), 'cdn-cert-sync-prod-'));
try {
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(work, f));
  cpSync(join(root, 'dist'), join(work, 'dist'), { recursive: true });

  const node = process.execPath;
  process.stderr.write(`check-prod-install: npm ci --omit=dev --ignore-scripts in ${work} (node ${process.version})\n`);
  const install = spawnSync(node, [npmCli(), 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', npm_config_update_notifier: 'false' },
    timeout: 9 * 60_000,
  });
  if (install.status !== 0) fail(`npm ci --omit=dev exited ${install.status}\n${install.stdout}\n${install.stderr}`);

  // Packages the lockfile marks dev-only must not be there: the image would carry them otherwise.
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([path, p]) => path && p.dev === true).map(([path]) => path);
  const leaked = devOnly.filter((path) => existsSync(join(work, path)));
  if (leaked.length) fail(`dev-only packages in the production install: ${leaked.join(', ')}`);
  if (existsSync(join(work, 'node_modules', 'node'))) fail('the `node` devDependency was installed');

  const help = spawnSync(node, ['dist/main.js', '--help'], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, timeout: 60_000 });
  if (help.status !== 0) fail(`node dist/main.js --help exited ${help.status}\n${help.stdout}\n${help.stderr}`);
  if (!help.stdout.includes('Usage:')) fail(`node dist/main.js --help printed no usage:\n${help.stdout}`);

  const mib = (dirSize(join(work, 'node_modules')) / 2 ** 20).toFixed(1);
  process.stdout.write(`check-prod-install: OK: production node_modules ${mib} MiB (${devOnly.length} dev-only packages left out); \`node dist/main.js --help\` works without dev dependencies\n`);
} finally {
  if (keep) process.stderr.write(`check-prod-install: kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
