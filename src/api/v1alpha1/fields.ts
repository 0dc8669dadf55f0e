// Field types that the binding's core schema and the providers' spec
// fragments (src/providers/<name>/index.ts) share, so that every CDN spells a
// host name or an object name the same way.
import { Type } from '@sinclair/typebox';

// A DNS name as CDNs accept it: lowercase labels, optionally a leading
// wildcard label (`*.example.com`).
export const HOSTNAME_PATTERN = '^(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// metav1 object names (DNS-1123 subdomain).
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** 1 to 100 unique host names; `what` names one item in `kubectl explain`. */
export const hostList = (what: string, description: string) =>
  Type.Array(
    Type.String({ minLength: 1, maxLength: 253, pattern: HOSTNAME_PATTERN, description: `One ${what}.` }),
    { minItems: 1, maxItems: 100, 'x-kubernetes-list-type': 'set', description },
  );

export const objectName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN, description });
