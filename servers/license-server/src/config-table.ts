import { serverSettings, type Setting } from './config.ts';

/*
 * The README's configuration table is generated from the settings list, so the documentation
 * cannot drift from the defaults the server really uses. `npm run docs:config` rewrites it.
 */

export const CONFIG_TABLE_START = '<!-- config-table:start -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function shownDefault(setting: Setting): string {
  if (setting.shownDefault) return setting.shownDefault;
  const parsed = setting.schema.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? `\`${String(parsed.data)}\`` : '—';
}

function variableCell(setting: Setting): string {
  // A fallback that maps its value (NODE_ENV) is explained by the default; a plain one is an alias.
  const alias = setting.fallback && !setting.fallback.value ? ` (or \`${setting.fallback.env}\`)` : '';
  return `\`${setting.env}\`${alias}`;
}

/** The markdown table: variable | meaning | default, one row per setting, in the list's order. */
export function renderConfigTable(settings: Record<string, Setting> = serverSettings): string {
  const rows = Object.values(settings).map((s) => `| ${cell(variableCell(s))} | ${cell(s.description)} | ${cell(shownDefault(s))} |`);
  return ['| variable | meaning | default |', '|---|---|---|', ...rows].join('\n');
}

function markerPositions(readme: string): { start: number; end: number } {
  const start = readme.indexOf(CONFIG_TABLE_START);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (start < 0 || end < start) throw new Error(`the README has no ${CONFIG_TABLE_START} … ${CONFIG_TABLE_END} section`);
  return { start: start + CONFIG_TABLE_START.length, end };
}

/** The table as it stands between the README's markers. */
export function readConfigTable(readme: string): string {
  const { start, end } = markerPositions(readme);
  return readme.slice(start, end).trim();
}

/** The README with `table` between its markers. */
export function writeConfigTable(readme: string, table: string): string {
  const { start, end } = markerPositions(readme);
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(end)}`;
}
