// Regenerates the files derived from src/: the CRD in crds/, its copies in
// the Helm chart and deploy/, deploy/install.yaml (which embeds it), the
// README's settings table and the chart's provider settings. Run with `npm run generate`; test/api/crd.test.ts fails
// when a committed file differs from what this would write.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderedCrd, CRD_FILES } from './manifests.ts';
import { renderInstall } from './render-install.ts';
import { PROVIDERS_TPL, providersTpl, SCHEMA_FILE, VALUES_FILE, withSchemaProperties, withValuesSection } from './chart-providers.ts';
import { replaceSection, settingsTable, SETTINGS_END, SETTINGS_START } from './docs.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
for (const file of CRD_FILES) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderedCrd());
  process.stderr.write(`wrote ${file}\n`);
}
const install = join(root, 'deploy', 'install.yaml');
writeFileSync(install, renderInstall());
process.stderr.write('wrote deploy/install.yaml\n');
const readme = join(root, 'README.md');
writeFileSync(readme, replaceSection(readFileSync(readme, 'utf8'), SETTINGS_START, SETTINGS_END, settingsTable()));
process.stderr.write('wrote the configuration reference in README.md\n');
const tpl = join(root, PROVIDERS_TPL);
writeFileSync(tpl, providersTpl());
const values = join(root, VALUES_FILE);
writeFileSync(values, withValuesSection(readFileSync(values, 'utf8')));
const schema = join(root, SCHEMA_FILE);
writeFileSync(schema, withSchemaProperties(readFileSync(schema, 'utf8')));
process.stderr.write(`wrote the provider settings in ${PROVIDERS_TPL}, ${VALUES_FILE} and ${SCHEMA_FILE}\n`);
