// Structured JSON logs (pino). Every line about a binding carries its key
// (`binding: "ns/name"`). Known secret-bearing fields are redacted as a last
// line of defence; the first is that nothing secret is ever passed to a logger.
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  '*.keyPem',
  '*.privateKey',
  '*.accessKeySecret',
  '*.secretKey',
  '*.securityToken',
  '*.token',
  '*.SSLPri',
  '*.CertificatePrivateKey',
  '*.credentials',
  'headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'cdn-cert-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
