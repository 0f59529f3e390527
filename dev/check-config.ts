// `npm run check-config`: validates the settings `npm run dev` would use (local.settings.json's
// Values, else the sample's, overridden by the environment) with the app's own schema, or with
// `-- --env` the environment alone (as in Azure). Exit 1 naming every problem; 0 with a summary;
// 2 for a command line it does not understand.
import { parseArgs } from 'node:util';
import { checkConfig } from '../src/app/config/check';
import { localSettings } from './local-settings';

export const CHECK_CONFIG_USAGE = `usage: npm run check-config [-- --env | -- --file <path>]

Checks the settings with the app's own schema and names every problem at once.
  (no option)     local.settings.json's Values (else local.settings.sample.json's), overridden by
                  the environment: what \`npm run dev\` uses
  --env           the environment alone, as the app reads it in Azure
  --file <path>   another settings file's Values, overridden by the environment
  --help          this text
Exit status: 0 valid (a one-line summary, no secret shown), 1 problems (each named), 2 usage.`;

type Options = { help: boolean; envOnly: boolean; file?: string | undefined };

/** The command line, or a usage error (a sentence) for anything it does not take. */
export function parseCheckConfigArgs(argv: string[]): Options | string {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { env: { type: 'boolean' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.env && values.file !== undefined) return '--env and --file cannot be used together';
    return { help: values.help === true, envOnly: values.env === true, file: values.file };
  } catch (e) {
    // node:util's messages name the option ("Unknown option '--bogus'"); nothing else is shown.
    return (e as Error).message.split('. ')[0] ?? 'invalid arguments';
  }
}

export function main(argv: string[]): number {
  const options = parseCheckConfigArgs(argv);
  if (typeof options === 'string') {
    console.error(`check-config: ${options}\n\n${CHECK_CONFIG_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(CHECK_CONFIG_USAGE);
    return 0;
  }
  let read: ReturnType<typeof localSettings>;
  try {
    read = localSettings(options);
  } catch (e) {
    console.error(`check-config: ${(e as Error).message}`);
    return 1;
  }
  const check = checkConfig(read.settings);
  if (!check.ok) {
    const n = check.problems.length;
    console.error(`check-config: ${read.source}: ${n} problem${n === 1 ? '' : 's'}:`);
    for (const p of check.problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log(`check-config: ${read.source}: OK: ${check.summary}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
