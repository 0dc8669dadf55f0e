// Runs the Tencent Cloud emulator on its own, for the demo and benchmarks:
//
//   node test/emulators/tencent/main.ts \
//     --account AKIDdemo:demo-secret-key \
//     --zone AKIDdemo:zone-demo:example.com,www.example.com \
//     [--action-in-progress-ms 500] [--cert-propagation-ms 200] [--repeat-id-in CertificateId]
//
// Prints `{"url": "http://127.0.0.1:<port>"}` on stdout once listening (use
// it as both the teo and the ssl endpoint) and stops on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { TencentEmulator, type EmulatorOptions } from './emulator.ts';

const USAGE = 'usage: main.ts --account <secretId>:<secretKey> [--zone <secretId>:<zoneId>:<host>[,<host>...]] ...';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      account: { type: 'string', multiple: true, default: [] },
      zone: { type: 'string', multiple: true, default: [] },
      'action-in-progress-ms': { type: 'string' },
      'cert-propagation-ms': { type: 'string' },
      'repeat-id-in': { type: 'string' },
    },
    strict: true,
  });

  const options: Partial<EmulatorOptions> = {};
  if (values['action-in-progress-ms'] !== undefined) options.actionInProgressMs = number(values['action-in-progress-ms']);
  if (values['cert-propagation-ms'] !== undefined) options.certPropagationMs = number(values['cert-propagation-ms']);
  const repeatIdIn = values['repeat-id-in'];
  if (repeatIdIn !== undefined) {
    if (repeatIdIn !== 'RepeatCertId' && repeatIdIn !== 'CertificateId') throw new Error('--repeat-id-in is RepeatCertId or CertificateId');
    options.repeatIdIn = repeatIdIn;
  }

  const emulator = await TencentEmulator.start(options);
  for (const spec of values.account) {
    const i = spec.indexOf(':');
    if (i <= 0) throw new Error(USAGE);
    emulator.addAccount(spec.slice(0, i), spec.slice(i + 1));
  }
  for (const spec of values.zone) {
    const [secretId, zoneId, hosts] = spec.split(':');
    if (!secretId || !zoneId) throw new Error(USAGE);
    emulator.addZone(secretId, zoneId, (hosts ?? '').split(',').filter(Boolean));
  }

  const stop = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
}

function number(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`not a non-negative number: ${text}`);
  return value;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
