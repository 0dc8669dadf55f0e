// Every request the server answered, as RBAC would see it.

export interface RequestRecord {
  /** RBAC verb: get|list|watch|create|update|patch|delete|deletecollection (lower-case HTTP method for non-resource paths). */
  verb: string;
  /** '' for the core group. */
  apiGroup: string;
  /** '' for non-resource requests (discovery, /version, /healthz). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** HTTP status of the answer (200 for a watch once its stream opened). */
  status: number;
  userAgent?: string;
  /** The bearer token the client presented: who made the request. */
  user?: string;
  /** The URL path. */
  path: string;
}
