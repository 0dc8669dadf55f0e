// What every provider reports about each API call it makes, so metrics stay
// the same across clouds (provider, action and result code; never a domain
// or anything secret).

export interface ProviderCall {
  /** The provider module's name, or `memory`. */
  provider: string;
  /** The vendor's action name, such as `SetCdnDomainSSLCertificate`. */
  action: string;
  /** `OK`, the vendor's error code, or a transport code such as `ETIMEDOUT`. */
  code: string;
  seconds: number;
}

export type CallRecorder = (call: ProviderCall) => void;

export const ignoreCalls: CallRecorder = () => {};
