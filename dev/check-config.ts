// `npm run check-config`: validates the settings `npm run dev` would use (local.settings.json's
// Values, else the sample's, overridden by the environment) with the app's own schema, or with
// `-- --env` the environment alone (as in Azure). Exit 1 naming every problem; 0 with a summary.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkConfig } from '../src/app/config-check';

export function settingsToCheck(
  mode: { envOnly: boolean; file?: string | undefined },
  env: Record<string, string | undefined> = process.env,
  root = path.resolve(__dirname, '..'),
): { source: string; settings: Record<string, string | undefined> } {
  if (mode.envOnly) return { source: 'the environment', settings: { ...env } };
  const candidates = mode.file ? [mode.file] : ['local.settings.json', 'local.settings.sample.json'];
  for (const name of candidates) {
    const file = path.resolve(root, name);
    if (!fs.existsSync(file)) continue;
    let values: Record<string, string> | undefined;
    try {
      values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values;
    } catch (e) {
      throw new Error(`${name}: is not valid JSON (${(e as Error).message})`);
    }
    return { source: `${name} (Values) + the environment`, settings: { ...values, ...env } };
  }
  throw new Error(
    `${candidates.join(' / ')}: not found (copy local.settings.sample.json to local.settings.json)`,
  );
}

function main(): number {
  const { values } = parseArgs({ options: { env: { type: 'boolean' }, file: { type: 'string' } } });
  let source: string;
  let settings: Record<string, string | undefined>;
  try {
    ({ source, settings } = settingsToCheck({ envOnly: values.env === true, file: values.file }));
  } catch (e) {
    console.error(`check-config: ${(e as Error).message}`);
    return 1;
  }
  const check = checkConfig(settings);
  if (!check.ok) {
    const n = check.problems.length;
    console.error(`check-config: ${source}: ${n} problem${n === 1 ? '' : 's'}:`);
    for (const p of check.problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log(`check-config: ${source}: OK: ${check.summary}`);
  return 0;
}

if (require.main === module) process.exitCode = main();
