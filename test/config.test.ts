import { describe, expect, it } from 'vitest';
import { loadConfig, parseAddress, parseDuration, SETTINGS, USAGE } from '../src/config.ts';
import { isOperatorError } from '../src/errors.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsTable } from './tools/docs.ts';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      concurrency: 4,
      resyncIntervalMs: 3_600_000,
      logLevel: 'info',
      leaderElect: false,
      healthAddr: { host: undefined, port: 8081 },
      metricsAddr: { host: undefined, port: 8080 },
      watchNamespaces: [],
      providerTimeoutMs: 10_000,
    });
  });

  it('reads env, and flags override env', () => {
    const c = loadConfig(
      { CONCURRENCY: '2', WATCH_NAMESPACE: 'a, b', RESYNC_INTERVAL: '5m', POD_NAMESPACE: 'ops' },
      ['--concurrency=8', '--leader-elect', 'true', '--metrics-addr', '127.0.0.1:0'],
    );
    expect(c).toMatchObject({
      concurrency: 8,
      watchNamespaces: ['a', 'b'],
      resyncIntervalMs: 300_000,
      leaderElect: true,
      leaderElectionNamespace: 'ops',
      metricsAddr: { host: '127.0.0.1', port: 0 },
    });
  });

  it.each([
    [{ CONCURRENCY: '0' }, 'CONCURRENCY'],
    [{ RESYNC_INTERVAL: 'soon' }, 'RESYNC_INTERVAL'],
    [{ RESYNC_INTERVAL: '1s' }, 'RESYNC_INTERVAL'],
    [{ HEALTH_ADDR: 'localhost' }, 'HEALTH_ADDR'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ALIBABA_CDN_ENDPOINT: 'ftp://x' }, 'ALIBABA_CDN_ENDPOINT'],
    [{ LEADER_ELECT: 'true' }, 'LEADER_ELECTION_NAMESPACE'],
    [{ ALIBABA_CREDENTIALS_SECRET: 'creds' }, 'POD_NAMESPACE'],
  ])('rejects %o naming %s', (env, name) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(isOperatorError(error, 'CCS_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain(name);
  });

  it('rejects unknown flags', () => {
    expect(() => loadConfig({}, ['--bogus=1'])).toThrow(/unknown flag/);
  });

  it('parses durations and addresses', () => {
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('15')).toThrow();
    expect(parseAddress(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseAddress('')).toBeUndefined();
  });

  it('documents every setting in --help', () => {
    for (const s of Object.values(SETTINGS)) expect(USAGE).toContain(s.env);
  });
});

describe('README configuration reference', () => {
  it('is the table generated from SETTINGS (run npm run generate)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(settingsTable());
  });
});
