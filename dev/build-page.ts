// Bundles the status page's browser client (src/functions/status/client, TypeScript ES modules)
// with esbuild into the one IIFE the dashboard route inlines under its nonce. `npm run build` and
// `npm run package:app` write it into the compiled app; the local host (npm run dev, demo,
// dev:stack, the tests) writes it next to the sources, so nothing needs a build first. The client
// folder's package.json says "type": "module": esbuild reads the root's "commonjs" as CommonJS
// sources and would wrap every module in a lazy-init shim.
//   tsx dev/build-page.ts <root>   writes <root>/src/functions/status/client.bundle.js
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { LedgerView } from '../src/app/status';
import type { AuditEntry, Hold } from '../src/core/operator';
import { PAGE_SCRIPT_FILE } from '../src/functions/status/page-script';
import type * as Client from '../src/functions/status/client/api-types.js' with {
  'resolution-mode': 'import',
};

const ROOT = path.resolve(__dirname, '..');
const CLIENT = path.join(ROOT, 'src/functions/status/client');

// The client declares the ledger, hold and audit shapes itself (their server modules pull in
// Node-only code): what the routes send must fit them, or this fails to type-check.
type Fits<Page, Server extends Page> = Server;
export type CheckedShapes = [
  Fits<Client.LedgerAnswer, LedgerView>,
  Fits<Client.Hold, Hold>,
  Fits<Client.AuditEntry, AuditEntry>,
];

/** The bundled script, as the page inlines it. */
export function bundlePageScript(): string {
  const out = buildSync({
    entryPoints: [path.join(CLIENT, 'main.ts')],
    tsconfig: path.join(CLIENT, 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    // Current Chromium, Edge, Firefox and Safari.
    target: ['chrome120', 'edge120', 'firefox121', 'safari17'],
    charset: 'ascii',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild wrote no bundle for the status page');
  // Inlined in <script>: a closing tag or comment opener inside would end or break it.
  if (/<\/script|<!--/i.test(file.text)) throw new Error('the status page bundle contains </script or <!--');
  return file.text;
}

/** Writes the bundle under `root` (the repository, or a build's output folder); returns its path. */
export function writePageScript(root = ROOT, script = bundlePageScript()): string {
  const to = path.join(root, path.relative(ROOT, PAGE_SCRIPT_FILE));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (fs.existsSync(to) && fs.readFileSync(to, 'utf8') === script) return to;
  // Whole or not at all: other processes (test workers) may be reading it.
  const tmp = `${to}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, script);
  fs.renameSync(tmp, to);
  return to;
}

let written: string | undefined;

/** For dev hosts: the bundle next to the sources, built once per process. */
export function preparePageScript(): string {
  written ??= writePageScript();
  return written;
}

if (require.main === module) {
  const root = process.argv[2] ? path.resolve(process.argv[2]) : ROOT;
  try {
    const to = writePageScript(root);
    console.log(`build-page: ${path.relative(process.cwd(), to)} (${fs.statSync(to).size} bytes)`);
  } catch (err) {
    console.error(`build-page: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
