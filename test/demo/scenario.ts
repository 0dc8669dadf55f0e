// The story the demo tells, step by step, against a running sandbox:
//   1. cert-manager-style TLS Secrets and two bindings, one per cloud;
//   2. both become Ready (every target verified serving the certificate);
//   3. a provider storm starts on each cloud (ServiceBusy on Alibaba CDN,
//      InvalidParameter.ActionInProgress on EdgeOne) and cert-manager renews
//      both certificates in place;
//   4. the bindings report Syncing with the provider's code while the
//      operator retries; the storms pass;
//   5. both converge: every target serves the renewed certificate.
// Every wait is on a condition read from outside (see monitor.ts), with a
// timeout.
import type { V1Secret } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/v1alpha1/schema.ts';
import { issueCertificate, testCA, type IssuedCert } from '../fixtures/certs.ts';
import { bindingManifest } from '../fixtures/bindings.ts';
import { renewedSecret, tlsSecret } from '../fixtures/secrets.ts';
import { converged, keyOf, type DemoBinding, type Monitor, type Snapshot } from './monitor.ts';
import { WORKLOAD_NAMESPACE, type Sandbox } from './sandbox.ts';

export const ALIBABA_BINDING: DemoBinding = {
  namespace: WORKLOAD_NAMESPACE,
  name: 'example-com',
  provider: 'alibaba',
  secretName: 'example-com-tls',
  targets: ['example.com', '*.example.com'],
};

export const TENCENT_BINDING: DemoBinding = {
  namespace: WORKLOAD_NAMESPACE,
  name: 'example-org',
  provider: 'tencent',
  secretName: 'example-org-tls',
  targets: ['example.org', 'www.example.org'],
  zoneId: 'zone-2o0i4lh5c7qb',
};

export const BINDINGS: readonly DemoBinding[] = [ALIBABA_BINDING, TENCENT_BINDING];

export interface StormSpec {
  provider: 'alibaba' | 'tencent';
  /** The error code the emulator answers with. */
  code: string;
  /** The API action it refuses. */
  action: string;
  /** Which binding's status should show it. */
  binding: DemoBinding;
}

export const STORMS: readonly StormSpec[] = [
  { provider: 'alibaba', code: 'ServiceBusy', action: 'SetCdnDomainSSLCertificate', binding: ALIBABA_BINDING },
  { provider: 'tencent', code: 'InvalidParameter.ActionInProgress', action: 'ModifyHostsCertificate', binding: TENCENT_BINDING },
];

export interface EventEntry {
  /** Milliseconds since the demo started. */
  at: number;
  text: string;
}

export class EventLog {
  readonly entries: EventEntry[] = [];
  readonly #started: number;
  readonly #listeners = new Set<(e: EventEntry) => void>();

  constructor(started: number) {
    this.#started = started;
  }

  /** Milliseconds since the demo started. */
  now(): number {
    return Date.now() - this.#started;
  }

  add(text: string): void {
    const entry = { at: this.now(), text };
    this.entries.push(entry);
    for (const listener of this.#listeners) listener(entry);
  }

  onEvent(listener: (e: EventEntry) => void): void {
    this.#listeners.add(listener);
  }
}

export interface BindingProgress {
  binding: DemoBinding;
  initialFingerprint: string | undefined;
  renewedFingerprint: string | undefined;
  /** Since the demo started. */
  createdAtMs: number | undefined;
  initialSyncAtMs: number | undefined;
  renewedAtMs: number | undefined;
  convergedAtMs: number | undefined;
  /** Provider codes the binding's status showed while it was not Ready. */
  retryCodes: Set<string>;
}

export interface StormProgress extends StormSpec {
  injectedAtMs: number | undefined;
  /** When the binding's status first showed the code. */
  seenAtMs: number | undefined;
  clearedAtMs: number | undefined;
  /** Calls the emulator refused with the code. */
  refusedCalls: number | undefined;
}

export interface ScenarioOptions {
  sandbox: Sandbox;
  monitor: Monitor;
  events: EventLog;
  /** Interactive runs hold the storm and pause between steps so a person can follow; CI runs do not. */
  interactive: boolean;
  /** For the steps' own timeouts; the caller enforces the overall deadline. */
  stepTimeoutMs: number;
}

const SHORT = 12;

export function short(fingerprint: string | undefined): string {
  return fingerprint ? fingerprint.slice(0, SHORT) : '-';
}

export class Scenario {
  readonly progress: BindingProgress[];
  readonly storms: StormProgress[];
  readonly #o: ScenarioOptions;

  constructor(opts: ScenarioOptions) {
    this.#o = opts;
    this.progress = BINDINGS.map((binding) => ({
      binding,
      initialFingerprint: undefined,
      renewedFingerprint: undefined,
      createdAtMs: undefined,
      initialSyncAtMs: undefined,
      renewedAtMs: undefined,
      convergedAtMs: undefined,
      retryCodes: new Set<string>(),
    }));
    this.storms = STORMS.map((s) => ({ ...s, injectedAtMs: undefined, seenAtMs: undefined, clearedAtMs: undefined, refusedCalls: undefined }));
    opts.monitor.onSnapshot((s) => this.#observe(s));
  }

  #progressOf(binding: DemoBinding): BindingProgress {
    const p = this.progress.find((x) => x.binding === binding);
    if (!p) throw new Error(`no progress for ${keyOf(binding)}`);
    return p;
  }

  /** Bookkeeping on every snapshot: retry codes seen, convergence times. */
  #observe(snapshot: Snapshot): void {
    for (const view of snapshot.bindings) {
      const p = this.#progressOf(view.binding);
      if (view.ready === 'False') for (const t of view.targets) if (t.code) p.retryCodes.add(t.code);
      if (p.initialSyncAtMs === undefined && p.initialFingerprint && converged(view, p.initialFingerprint)) p.initialSyncAtMs = snapshot.at;
      if (p.convergedAtMs === undefined && p.renewedFingerprint && p.renewedAtMs !== undefined && converged(view, p.renewedFingerprint)) {
        p.convergedAtMs = snapshot.at;
      }
    }
    for (const storm of this.storms) {
      if (storm.injectedAtMs === undefined || storm.seenAtMs !== undefined) continue;
      const view = snapshot.bindings.find((v) => v.binding === storm.binding);
      if (view?.reason === 'Syncing' && view.targets.some((t) => t.code === storm.code)) storm.seenAtMs = snapshot.at;
    }
  }

  async run(): Promise<void> {
    const { sandbox, monitor, events, interactive, stepTimeoutMs } = this.#o;
    const ca = await testCA('cdn-cert-sync demo CA');
    const issue = (b: DemoBinding): Promise<IssuedCert> => issueCertificate({ dnsNames: [...b.targets], issuer: ca, withIntermediate: true });

    // 1. What cert-manager would have written, and the bindings that use it.
    const initial = await Promise.all(BINDINGS.map(issue));
    for (const [i, binding] of BINDINGS.entries()) {
      const cert = initial[i] as IssuedCert;
      this.#progressOf(binding).initialFingerprint = cert.fingerprintSHA256;
      await sandbox.core.createNamespacedSecret({
        namespace: binding.namespace,
        body: tlsSecret({ namespace: binding.namespace, name: binding.secretName, cert }),
      });
      events.add(`cert-manager issued ${binding.namespace}/${binding.secretName} (${cert.dnsNames.join(', ')}) ${short(cert.fingerprintSHA256)}`);
    }
    for (const binding of BINDINGS) {
      await sandbox.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: binding.namespace,
        body: bindingManifest({
          namespace: binding.namespace,
          name: binding.name,
          secretName: binding.secretName,
          ...(binding.provider === 'tencent' ? { tencent: { zoneId: binding.zoneId ?? '', hosts: [...binding.targets] } } : { domains: [...binding.targets] }),
        }),
      });
      this.#progressOf(binding).createdAtMs = events.now();
      const where = binding.provider === 'alibaba' ? 'Alibaba CDN' : `EdgeOne ${binding.zoneId}`;
      events.add(`created binding ${keyOf(binding)} → ${where}: ${binding.targets.join(', ')}`);
    }

    // 2. Both Ready: every target verified serving the issued certificate.
    await monitor.until('both bindings to become Ready on the issued certificates', (s) => this.#allConverged(s, 'initial'), stepTimeoutMs);
    events.add('both bindings Ready=True: every target serves its certificate');
    if (interactive) await pause(2_000);

    // 3. Storms, then renewals in place, as cert-manager renews.
    await sandbox.alibaba.busy();
    this.#stormOf('alibaba').injectedAtMs = events.now();
    events.add('storm: Alibaba CDN answers ServiceBusy to SetCdnDomainSSLCertificate');
    await sandbox.tencent.fail('InvalidParameter.ActionInProgress', 'ModifyHostsCertificate');
    this.#stormOf('tencent').injectedAtMs = events.now();
    events.add('storm: EdgeOne answers InvalidParameter.ActionInProgress to ModifyHostsCertificate');

    const renewed = await Promise.all(BINDINGS.map(issue));
    for (const [i, binding] of BINDINGS.entries()) {
      const cert = renewed[i] as IssuedCert;
      const p = this.#progressOf(binding);
      p.renewedFingerprint = cert.fingerprintSHA256;
      const current: V1Secret = await sandbox.core.readNamespacedSecret({ namespace: binding.namespace, name: binding.secretName });
      await sandbox.core.replaceNamespacedSecret({ namespace: binding.namespace, name: binding.secretName, body: renewedSecret(current, cert) });
      p.renewedAtMs = events.now();
      events.add(`cert-manager renewed ${binding.namespace}/${binding.secretName}: ${short(p.initialFingerprint)} → ${short(cert.fingerprintSHA256)}`);
    }

    // 4. Each storm lasts until its binding has shown Syncing with the code
    //    (and, when a person watches, a few seconds), then passes.
    await Promise.all(
      this.storms.map(async (storm) => {
        await monitor.until(
          `${keyOf(storm.binding)} to report Syncing with ${storm.code}`,
          (s) => {
            const view = s.bindings.find((v) => v.binding === storm.binding);
            return view?.reason === 'Syncing' && view.targets.some((t) => t.code === storm.code);
          },
          stepTimeoutMs,
        );
        const held = events.now() - (storm.injectedAtMs ?? 0);
        if (interactive && held < 5_000) await pause(5_000 - held);
        const admin = storm.provider === 'alibaba' ? sandbox.alibaba : sandbox.tencent;
        await admin.clearFaults();
        storm.clearedAtMs = events.now();
        storm.refusedCalls = (await admin.calls()).filter((c) => c.code === storm.code).length;
        const where = storm.provider === 'alibaba' ? 'Alibaba CDN' : 'EdgeOne';
        events.add(`${where} storm over after ${seconds((storm.clearedAtMs ?? 0) - (storm.injectedAtMs ?? 0))}: ${storm.refusedCalls} calls answered ${storm.code}`);
      }),
    );

    // 5. Convergence on the renewed certificates.
    await monitor.until('both bindings to serve the renewed certificates', (s) => this.#allConverged(s, 'renewed'), stepTimeoutMs);
    events.add('converged: every target serves the renewed certificate');
  }

  #stormOf(provider: StormSpec['provider']): StormProgress {
    const storm = this.storms.find((s) => s.provider === provider);
    if (!storm) throw new Error(`no storm for ${provider}`);
    return storm;
  }

  #allConverged(s: Snapshot, which: 'initial' | 'renewed'): boolean {
    return s.bindings.every((view) => {
      const p = this.#progressOf(view.binding);
      const fingerprint = which === 'initial' ? p.initialFingerprint : p.renewedFingerprint;
      return fingerprint !== undefined && converged(view, fingerprint);
    });
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Pacing for a person watching; never used to wait for the system. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
