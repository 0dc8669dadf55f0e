// ObjectMeta validation shared by every resource (k8s.io/apimachinery/pkg/api/validation).
import { field, type FieldError } from './errors.ts';
import { deepEqual, type ObjectMeta } from './objects.ts';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export type NameValidator = (name: string) => string[];

export const isDNS1123Subdomain: NameValidator = (name) => {
  const errs: string[] = [];
  if (name.length > 253) errs.push('must be no more than 253 characters');
  if (!SUBDOMAIN_RE.test(name)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" +
        DNS1123_SUBDOMAIN +
        "')",
    );
  }
  return errs;
};

export const isDNS1123Label: NameValidator = (name) => {
  const errs: string[] = [];
  if (name.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_RE.test(name)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" +
        DNS1123_LABEL +
        "')",
    );
  }
  return errs;
};

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/**
 * ValidateObjectMeta. `kubeFinalizers` adds the check built-in types make (pkg/apis/core/validation):
 * a finalizer without a '/' must be one of the standard ones.
 */
export function validateObjectMeta(meta: ObjectMeta, namespaced: boolean, nameValidator: NameValidator, kubeFinalizers = false): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of nameValidator(meta.generateName.replace(/-$/, '') || 'a')) errs.push(field.invalid('metadata.generateName', meta.generateName, msg));
  }
  if (!meta.name) errs.push(field.required('metadata.name', 'name or generateName is required'));
  else for (const msg of nameValidator(meta.name)) errs.push(field.invalid('metadata.name', meta.name, msg));
  if (namespaced) {
    if (!meta.namespace) errs.push(field.required('metadata.namespace'));
    else for (const msg of isDNS1123Label(meta.namespace)) errs.push(field.invalid('metadata.namespace', meta.namespace, msg));
  } else if (meta.namespace) {
    errs.push(field.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) errs.push(field.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const msg of isQualifiedName(key)) errs.push(field.invalid('metadata.labels', key, msg));
    if (value.length > 63) errs.push(field.invalid('metadata.labels', value, 'must be no more than 63 characters'));
    if (!LABEL_VALUE_RE.test(value)) {
      errs.push(
        field.invalid(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(field.invalid('metadata.annotations', key, msg));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > 256 * 1024) errs.push(field.tooLongBytes('metadata.annotations', 256 * 1024));
  for (const finalizer of meta.finalizers ?? []) {
    const msgs = isQualifiedName(finalizer);
    for (const msg of msgs) errs.push(field.invalid('metadata.finalizers', finalizer, msg));
    if (kubeFinalizers && msgs.length === 0 && !finalizer.includes('/') && !STANDARD_FINALIZERS.has(finalizer)) {
      errs.push(field.invalid('metadata.finalizers', finalizer, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  (meta.ownerReferences ?? []).forEach((ref) => {
    for (const key of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (!ref[key]) errs.push(field.invalid(`metadata.ownerReferences.${key}`, ref[key] ?? '', `${key} must not be empty`));
    }
  });
  return errs;
}

/** ValidateObjectMetaUpdate: identity fields are immutable; a deleting object takes no new finalizers. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  if (old.deletionTimestamp) {
    const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
    if (added.length > 0) {
      errs.push(
        field.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  if ((meta.generation ?? 0) < (old.generation ?? 0)) errs.push(field.invalid('metadata.generation', meta.generation ?? 0, 'must not be decremented'));
  const immutable: Array<keyof ObjectMeta> = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
  for (const key of immutable) {
    if (!deepEqual(meta[key], old[key])) errs.push(field.immutable(`metadata.${String(key)}`, meta[key] ?? null));
  }
  return errs;
}
