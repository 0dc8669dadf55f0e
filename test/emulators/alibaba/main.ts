// Runs the Alibaba Cloud CDN emulator on its own, for the demo and the
// benchmarks where the operator is a separate process:
//
//   node_modules/.bin/node test/emulators/alibaba/main.ts \
//     --account AKID:SECRET --domain AKID:www.example.com --domain AKID:.example.com \
//     [--port 18080] [--host 127.0.0.1] [--rate-limit 30] [--duplicate-names content|always]
//
// Prints one line of JSON, `{"url": "http://127.0.0.1:18080"}`, once it
// listens, and stops on SIGTERM or SIGINT. Further accounts, domains and
// faults can be added over HTTP under /__emulator/ (see emulator.ts).
import { parseArgs } from 'node:util';
import { AlibabaCdnEmulator } from './emulator.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    account: { type: 'string', multiple: true, default: [] },
    domain: { type: 'string', multiple: true, default: [] },
    'rate-limit': { type: 'string' },
    'duplicate-names': { type: 'string', default: 'content' },
  },
  strict: true,
});

function pair(value: string, flag: string): [string, string] {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) throw new Error(`--${flag} wants <a>:<b>, got an unusable value`);
  return [value.slice(0, at), value.slice(at + 1)];
}

const duplicateNames = values['duplicate-names'];
if (duplicateNames !== 'content' && duplicateNames !== 'always') throw new Error('--duplicate-names is content or always');

const emulator = await AlibabaCdnEmulator.start({ host: values.host, port: Number(values.port), duplicateNames });
for (const account of values.account) emulator.addAccount(...pair(account, 'account'));
for (const domain of values.domain) emulator.addDomain(...pair(domain, 'domain'));
if (values['rate-limit'] !== undefined) emulator.rateLimit(Number(values['rate-limit']));

process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
