// The CDNs this operator is built with: one line per provider folder. The
// CRD schema, settings, claims, memory CDN, chart values and docs all derive
// from this list (./catalog.ts; `npm run generate` rewrites the files made
// from it).
export { alibaba } from './alibaba/index.ts';
export { tencent } from './tencent/index.ts';
