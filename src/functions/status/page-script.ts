// The status page's one inline script: the browser client (./client, TypeScript) bundled into a
// single IIFE by dev/build-page.ts at build time, next to this module (dist/ after `npm run
// build`; the sources' folder, git-ignored, when a dev host or the tests run from TypeScript).
// It is read once; the runtime needs no bundler.
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../core/platform';

export const PAGE_SCRIPT_FILE = path.join(__dirname, 'client.bundle.js');

let script: string | undefined;

export function pageScript(): string {
  if (script === undefined) {
    try {
      script = fs.readFileSync(PAGE_SCRIPT_FILE, 'utf8');
    } catch (err) {
      throw new Error(
        `the status page's script ${PAGE_SCRIPT_FILE} is missing (npm run build writes it): ${errorMessage(err)}`,
      );
    }
  }
  return script;
}
