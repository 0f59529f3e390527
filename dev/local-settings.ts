// Which settings the local programs use, and from where: local.settings.json's Values (else the
// sample's, as `func start` would not), overridden by the environment; or the environment alone
// (`check-config -- --env`, as in Azure); or another settings file. `source` names what was read.
import fs from 'node:fs';
import path from 'node:path';

export const SAMPLE_SETTINGS = 'local.settings.sample.json';

export interface LocalSettings {
  /** What was read, for messages: "local.settings.json (Values) + the environment". */
  source: string;
  /** The settings file read (undefined: the environment alone). */
  file?: string | undefined;
  settings: Record<string, string | undefined>;
}

export function localSettings(
  mode: { envOnly?: boolean; file?: string | undefined } = {},
  env: Record<string, string | undefined> = process.env,
  root = path.resolve(__dirname, '..'),
): LocalSettings {
  if (mode.envOnly) return { source: 'the environment', settings: { ...env } };
  const candidates = mode.file ? [mode.file] : ['local.settings.json', SAMPLE_SETTINGS];
  for (const name of candidates) {
    const file = path.resolve(root, name);
    if (!fs.existsSync(file)) continue;
    let values: Record<string, string> | undefined;
    try {
      values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values;
    } catch (e) {
      throw new Error(`${name}: is not valid JSON (${(e as Error).message})`);
    }
    return { source: `${name} (Values) + the environment`, file: name, settings: { ...values, ...env } };
  }
  throw new Error(`${candidates.join(' / ')}: not found (copy ${SAMPLE_SETTINGS} to local.settings.json)`);
}

/** The closing line after a list of problems: which file to fix (the one actually read). */
export function fixHint(read: Pick<LocalSettings, 'file'>): string {
  if (!read.file) return 'fix the environment; `npm run check-config -- --env` checks it';
  const sample =
    read.file === SAMPLE_SETTINGS
      ? ` (there is no local.settings.json, so the sample was read: copy it to local.settings.json and edit that)`
      : '';
  return `fix ${read.file} (Values) or the environment${sample}; \`npm run check-config\` checks them`;
}
