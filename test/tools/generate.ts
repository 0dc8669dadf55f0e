// Regenerates the files derived from src/: the CRD in crds/, its copies in
// the Helm chart and deploy/, and deploy/install.yaml (which embeds it). Run with `npm run generate`; test/api/crd.test.ts fails
// when a committed file differs from what this would write.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderedCrd, CRD_FILES } from './manifests.ts';
import { renderInstall } from './render-install.ts';
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
