// The error codes the emulator answers with: HTTP status and message as
// Alibaba Cloud documents them. SetCdnDomainSSLCertificate's own table comes
// from the API reference (shared/reference/alibaba-cdn-SetCdnDomainSSLCertificate.txt);
// the gateway codes are those every Alibaba Cloud POP API shares.

export interface DocumentedError {
  status: number;
  message: string;
}

/** SetCdnDomainSSLCertificate's error table, in the reference's order. */
export const SET_CERTIFICATE_ERRORS: Readonly<Record<string, DocumentedError>> = {
  'InvalidDomain.NotFound': { status: 404, message: 'The domain provided does not belong to you.' },
  IllegalOperation: { status: 403, message: 'Illegal domain operate is not permitted.' },
  ServiceBusy: { status: 403, message: 'The specified Domain is configuring, please retry later.' },
  'InvalidDomain.Offline': { status: 400, message: 'The domain provided is offline.' },
  OperationDenied: { status: 403, message: 'Your CDN service is suspended.' },
  'InvalidSSLProtocol.ValueNotSupported': { status: 400, message: 'The specified value of parameter Enable is not supported.' },
  'SSLPub.MissingParameter': {
    status: 400,
    message: 'An input parameter SSLPub that is mandatory for processing the request is not supplied.',
  },
  'SSLPri.MissingParameter': {
    status: 400,
    message: 'An input parameter SSLPri that is mandatory for processing the request is not supplied.',
  },
  InvalidCertificate: { status: 400, message: 'The Certificate you provided is malformed!' },
  InvalidSSLPri: { status: 400, message: 'The SSLPri you provided is malformed!' },
  'Certificate.MissMatch': { status: 400, message: 'The SSLPri does not math the specified Certificate!' },
  'InvalidCertificate.TooLong': { status: 400, message: 'The Certificate you provided is over the max length!' },
  'InvalidCertName.TooLong': { status: 400, message: 'The Certificate name you provided is over the max length 128!' },
  'SetDomainSSLPub.ParameterError': { status: 400, message: 'Parameters have error.' },
  'Certificate.StatusError': { status: 400, message: 'Certificate is not exist or its status is error.' },
  DeleteFailed: { status: 400, message: 'Delete certificate is failed.' },
  'Certificate.NotFind': { status: 400, message: 'Not find the certificate info.' },
  'Certificate.Duplicated': { status: 400, message: 'The certificate name is duplicated.' },
  'Certificate.FormatError': { status: 400, message: 'The certificate format is error.' },
  'Certificate.KeyNull': { status: 400, message: 'The SSLPri is not null.' },
  'SSLPri.Malformed': { status: 400, message: 'The SSLPri format is error.' },
  'Certificate.NotPermittedOff': {
    status: 400,
    message: 'Turn off certificate will change domain scheduling, please contact customer service.',
  },
  'Certificate.SettedNotEffect': {
    status: 400,
    message:
      "Certificate was successfully set but doesn't take effect for protecting current service, please contact customer service.",
  },
};

/** Codes of the API gateway in front of every Alibaba Cloud RPC API. */
export const GATEWAY_ERRORS: Readonly<Record<string, DocumentedError>> = {
  'Throttling.User': { status: 400, message: 'Request was denied due to user flow control.' },
  'Throttling.Api': { status: 400, message: 'Request was denied due to api flow control.' },
  Throttling: { status: 400, message: 'Request was denied due to request throttling.' },
  ServiceUnavailable: { status: 503, message: 'The request has failed due to a temporary failure of the server.' },
  InternalError: { status: 500, message: 'The request processing has failed due to some unknown error, exception or failure.' },
  SignatureDoesNotMatch: { status: 400, message: 'Specified signature is not matched with our calculation.' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to Aliyun standards.' },
  'InvalidAccessKeyId.NotFound': { status: 404, message: 'Specified access key is not found.' },
  'InvalidAccessKeyId.Inactive': { status: 400, message: 'Specified access key is disabled.' },
  'InvalidTimeStamp.Format': { status: 400, message: 'Specified time stamp or date value is not well formatted.' },
  'InvalidTimeStamp.Expired': { status: 400, message: 'Specified time stamp or date value is expired.' },
  SignatureNonceUsed: { status: 400, message: 'Specified signature nonce was used already.' },
  'InvalidSecurityToken.MismatchWithAccessKey': { status: 400, message: 'Specified SecurityToken mismatch with the AccessKey.' },
  'InvalidSecurityToken.Expired': { status: 400, message: 'Specified SecurityToken is expired.' },
  'Forbidden.RAM': {
    status: 403,
    message: "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
  },
  'InvalidAction.NotFound': { status: 404, message: 'Specified api is not found, please check your url and method.' },
  InvalidVersion: { status: 400, message: 'Specified parameter Version is not valid.' },
  MissingParameter: { status: 400, message: 'A required parameter is not supplied.' },
};

export function documented(code: string): DocumentedError | undefined {
  return SET_CERTIFICATE_ERRORS[code] ?? GATEWAY_ERRORS[code];
}

/** An error answer: the code, its HTTP status and message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra response headers (x-acs-retry-after for throttling). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: string, overrides: { status?: number; message?: string; headers?: Record<string, string> } = {}) {
    const doc = documented(code);
    super(overrides.message ?? doc?.message ?? `${code}.`);
    this.code = code;
    this.status = overrides.status ?? doc?.status ?? 400;
    this.headers = overrides.headers ?? {};
  }
}
