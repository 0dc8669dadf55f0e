// metav1.Status errors, built the way k8s.io/apimachinery/pkg/api/errors builds
// them, so a client sees the same code, reason, message and details as from a
// real kube-apiserver.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface GroupResource {
  group: string;
  resource: string;
}

export interface GroupKind {
  group: string;
  kind: string;
}

/** `secrets`, `leases.coordination.k8s.io` (schema.GroupResource.String()). */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** `Secret`, `Lease.coordination.k8s.io` (schema.GroupKind.String()). */
export function qualifiedKind(gk: GroupKind): string {
  return gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
}

function compactDetails(details: StatusDetails): StatusDetails | undefined {
  const out: StatusDetails = {};
  if (details.name) out.name = details.name;
  if (details.group) out.group = details.group;
  if (details.kind) out.kind = details.kind;
  if (details.uid) out.uid = details.uid;
  if (details.causes && details.causes.length > 0) out.causes = details.causes;
  if (details.retryAfterSeconds) out.retryAfterSeconds = details.retryAfterSeconds;
  return out;
}

/** An error the server answers with: a Failure Status and its HTTP code. */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;

  constructor(code: number, reason: string | undefined, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
    if (reason) status.reason = reason;
    if (details) status.details = compactDetails(details);
    // Go's encoder keeps field order: message, reason, details, code.
    this.status = {
      kind: status.kind,
      apiVersion: status.apiVersion,
      metadata: status.metadata,
      status: status.status,
      message: status.message,
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.details ? { details: status.details } : {}),
      code: status.code,
    };
    this.headers = headers;
  }

  get code(): number {
    return this.status.code;
  }
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });
}

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

export function forbidden(gr: GroupResource, name: string, why: string, causes?: StatusCause[]): ApiError {
  const subject = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, { name, group: gr.group, kind: gr.resource, causes });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 410 reason Expired (errors.NewResourceExpired). */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(why: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${why}`, { causes: [{ message: why }] });
}

/** A non-Status error surfacing from storage: code 500, reason Unknown (omitted). */
export function unknownServerError(message: string): ApiError {
  return new ApiError(500, undefined, message);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

export function timeout(message: string, retryAfterSeconds: number, causes?: StatusCause[]): ApiError {
  return new ApiError(504, 'Timeout', message, { retryAfterSeconds, causes }, { 'Retry-After': String(retryAfterSeconds) });
}

export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** The 422 the patch handler returns when a JSON patch cannot be applied (NewGenericServerResponse). */
export function patchRejected(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

// ---------------------------------------------------------------------------
// Field errors (k8s.io/apimachinery/pkg/util/validation/field).

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

const OMIT = Symbol('omit');

/** A bad value Go would print verbatim (e.g. `0x0`, a uint64 printed with %#v). */
export class GoLiteral {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value: unknown;
  detail: string;
}

/** Go's `%#v` for the values a decoded JSON document holds. */
export function goSharpV(value: unknown): string {
  if (value === null || value === undefined) return 'interface {}(nil)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSharpV).join(', ')}}`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]interface {}{${entries.map(([k, v]) => `${JSON.stringify(k)}:${goSharpV(v)}`).join(', ')}}`;
}

export function errorBody(err: FieldError): string {
  let s: string;
  const text = TYPE_TEXT[err.type];
  if (
    err.type === 'FieldValueRequired' ||
    err.type === 'FieldValueForbidden' ||
    err.type === 'FieldValueTooLong' ||
    err.type === 'InternalError' ||
    err.value === OMIT
  ) {
    s = text;
  } else if (err.value instanceof GoLiteral) {
    s = `${text}: ${err.value.text}`;
  } else if (err.value === null || err.value === undefined) {
    s = `${text}: null`;
  } else if (typeof err.value === 'string') {
    s = `${text}: ${JSON.stringify(err.value)}`;
  } else if (typeof err.value === 'number' || typeof err.value === 'boolean') {
    s = `${text}: ${String(err.value)}`;
  } else {
    s = `${text}: ${goSharpV(err.value)}`;
  }
  if (err.detail) s += `: ${err.detail}`;
  return s;
}

export const field = {
  required: (path: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: path, value: '', detail }),
  invalid: (path: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field: path, value, detail }),
  typeInvalid: (path: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field: path, value, detail }),
  duplicate: (path: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: path, value, detail: '' }),
  forbidden: (path: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: path, value: '', detail }),
  notSupported: (path: string, value: unknown, valid: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: path,
    value,
    detail: valid.length > 0 ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
  }),
  tooLong: (path: string, value: unknown, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field: path,
    value,
    detail: max >= 0 ? `may not be longer than ${max}` : 'value is too long',
  }),
  tooLongBytes: (path: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field: path, value: '', detail: `must have at most ${max} bytes` }),
  tooMany: (path: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field: path,
    value: actual >= 0 ? actual : OMIT,
    detail: max >= 0 ? `must have at most ${max} items` : 'has too many items',
  }),
  immutable: (path: string, value: unknown): FieldError => ({ type: 'FieldValueInvalid', field: path, value, detail: 'field is immutable' }),
};

/** errors.NewInvalid: 422 with one cause per field error and the aggregated message. */
export function invalid(gk: GroupKind, name: string, errs: readonly FieldError[]): ApiError {
  const causes = errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
  // ToAggregate drops duplicate messages; an aggregate of one prints bare, more print as [a, b].
  const messages: string[] = [];
  for (const e of errs) {
    const msg = e.field ? `${e.field}: ${errorBody(e)}` : errorBody(e);
    if (!messages.includes(msg)) messages.push(msg);
  }
  const aggregate = messages.length === 0 ? '' : messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
  const message = aggregate ? `${qualifiedKind(gk)} "${name}" is invalid: ${aggregate}` : `${qualifiedKind(gk)} "${name}" is invalid`;
  return new ApiError(422, 'Invalid', message, { name, group: gk.group, kind: gk.kind, causes });
}
