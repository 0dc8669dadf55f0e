// README sections generated from the code, so that the docs cannot drift:
// the configuration reference comes from src/config.ts SETTINGS.
import { flagName, SETTINGS } from '../../src/config.ts';

export const SETTINGS_START = '<!-- settings:start -->';
export const SETTINGS_END = '<!-- settings:end -->';

export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const flag = flagName(s.env);
    const def = 'default' in s ? `\`${s.default}\`` : '';
    return `| \`${s.env}\` | \`${flag}\` | ${def} | ${s.description} |`;
  });
  return ['| variable | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between `start` and `end` replaced by `body`. */
export function replaceSection(readme: string, start: string, end: string, body: string): string {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README has no ${start} … ${end} section`);
  return `${readme.slice(0, from + start.length)}\n${body}\n${readme.slice(to)}`;
}
