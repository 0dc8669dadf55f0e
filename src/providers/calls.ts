// What every provider reports about each API call it makes, so metrics stay
// the same across clouds (provider, action and result code; never a domain
// or anything secret).
import type { Logger } from 'pino';
import type { ProviderName } from './provider.ts';

export interface ProviderCall {
  provider: ProviderName | 'memory';
  /** The vendor's action name, such as `SetCdnDomainSSLCertificate`. */
  action: string;
  /** `OK`, the vendor's error code, or a transport code such as `ETIMEDOUT`. */
  code: string;
  seconds: number;
}

export type CallRecorder = (call: ProviderCall) => void;

export const ignoreCalls: CallRecorder = () => {};

/** Operator-level settings shared by every provider. Endpoints never come from a binding. */
export interface ProviderSettings {
  alibabaCdnEndpoint?: string | undefined;
  tencentTeoEndpoint?: string | undefined;
  tencentSslEndpoint?: string | undefined;
  /** Whether bindings without a credentials Secret may use the pod's Alibaba RRSA identity. */
  alibabaAmbientCredentials?: boolean | undefined;
  /** Per-request timeout for provider HTTP calls. */
  requestTimeoutMs: number;
  /**
   * Checked right before every request that changes something at the CDN:
   * throws a ProviderError when this replica may no longer write (it lost
   * leadership, perhaps while its process was paused). Unset: always allowed.
   */
  assertMayWrite?: ((provider: ProviderName) => void) | undefined;
  recordCall: CallRecorder;
  logger: Logger;
}
