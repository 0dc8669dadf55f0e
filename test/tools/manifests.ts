import { stringify } from 'yaml';
import { customResourceDefinition } from '../../src/api/v1alpha1/crd.ts';

export const CRD_FILES = [
  'crds/cdn-cert-sync.io_cdncertificatebindings.yaml',
  'charts/cdn-cert-sync/crds/cdn-cert-sync.io_cdncertificatebindings.yaml',
  // kustomize loads no file outside its kustomization root, so deploy/ has its own copy.
  'deploy/crds/cdn-cert-sync.io_cdncertificatebindings.yaml',
];

export function renderedCrd(): string {
  return `# Generated from src/api/v1alpha1/schema.ts by \`npm run generate\`. Do not edit.\n---\n${stringify(customResourceDefinition(), { lineWidth: 0 })}`;
}
