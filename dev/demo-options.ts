// Command-line options of `npm run demo` (dev/demo.ts). Bad options are reported all at once.
import { isRegion } from '../src/core/model/names';

export interface DemoOptions {
  regions: string[];
  home: string;
  /** Replication delay per non-home region, in ms, already divided by `speed`. */
  delays: Record<string, number>;
  speed: number;
  keep: boolean;
  /** 0 = a free port. */
  port: number;
  short: boolean;
  /** Where to write a screenshot of the status page, taken mid-run (needs /usr/bin/chromium). */
  screenshot?: string | undefined;
  /** How long a simulated rollout takes on a cluster (ms). */
  rolloutMs: number;
  help: boolean;
}

export const DEMO_HELP = `Usage: npm run demo -- [options]

Pushes my-app:1.0.0 then my-app:1.1.0 to a simulated geo-replicated ACR and shows each region's
AKS cluster rolling out the exact digest once its replica holds it (no Azure needed); then replays
the first push with a naive "deploy everywhere on the push webhook" strategy for contrast.

Options:
  --regions <a,b,c>        regions, the first is the registry's home
                           (default eastus,westeurope,southeastasia)
  --delays <r=ms,...>      replication delay per replica region
                           (default westeurope=2000,southeastasia=6000; others spread 2-6 s)
  --speed <factor>         run the simulated delays <factor> times faster (default 1; 2 = twice as fast)
  --short                  a faster run for CI (same as --speed 2)
  --keep                   keep the stack and the status page up until Ctrl-C
  --port <n>               port of the local Functions host (default 7071 with --keep, else a free one)
  --screenshot <file.png>  save a screenshot of the status page mid-run (uses /usr/bin/chromium)
  -h, --help               show this help

Exit code: 0 when every region ended on my-app:1.1.0's digest with no failed image pull in the
product's own run; 1 otherwise; 2 for bad options.`;

export class DemoOptionsError extends Error {}

function defaultDelays(regions: string[], home: string): Record<string, number> {
  const replicas = regions.filter((r) => r !== home);
  const known: Record<string, number> = { westeurope: 2000, southeastasia: 6000 };
  const out: Record<string, number> = {};
  replicas.forEach((r, i) => {
    // The last replica is the slow one (6 s); the others spread from 2 s, so supersession shows.
    out[r] =
      known[r] ?? (replicas.length === 1 ? 4000 : Math.round(2000 + (4000 * i) / (replicas.length - 1)));
  });
  return out;
}

export function parseDemoOptions(argv: readonly string[]): DemoOptions {
  const problems: string[] = [];
  let regions = ['eastus', 'westeurope', 'southeastasia'];
  let delaysArg: string | undefined;
  let speed: number | undefined;
  let keep = false;
  let port: number | undefined;
  let short = false;
  let screenshot: string | undefined;
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`${name} needs a value`);
        return '';
      }
      i++;
      return next;
    };
    switch (name) {
      case '--regions':
        regions = value()
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '');
        break;
      case '--delays':
        delaysArg = value();
        break;
      case '--speed': {
        const v = value();
        speed = Number(v);
        if (!Number.isFinite(speed) || speed <= 0 || speed > 100)
          problems.push(`--speed must be a number above 0 and at most 100 (got ${JSON.stringify(v)})`);
        break;
      }
      case '--keep':
        keep = true;
        break;
      case '--port': {
        const v = value();
        port = Number(v);
        if (!/^\d{1,5}$/.test(v) || port > 65535)
          problems.push(`--port must be 0..65535 (got ${JSON.stringify(v)})`);
        break;
      }
      case '--short':
        short = true;
        break;
      case '--screenshot':
        screenshot = value();
        if (screenshot !== '' && !screenshot.endsWith('.png'))
          problems.push('--screenshot must name a .png file');
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        problems.push(`unknown option ${JSON.stringify(arg)}`);
    }
  }

  if (regions.length < 2) problems.push('--regions needs at least two regions (a home and a replica)');
  for (const r of regions)
    if (!isRegion(r)) problems.push(`--regions: ${JSON.stringify(r)} is not a region name`);
  if (new Set(regions).size !== regions.length) problems.push('--regions lists a region twice');
  const home = regions[0] ?? 'eastus';

  const delays = defaultDelays(regions, home);
  if (delaysArg !== undefined) {
    for (const part of delaysArg.split(',').filter((p) => p.trim() !== '')) {
      const m = /^\s*([a-z0-9]+)\s*=\s*(\d{1,7})\s*$/.exec(part);
      if (!m || !m[1] || !m[2]) {
        problems.push(`--delays: ${JSON.stringify(part)} is not region=milliseconds`);
        continue;
      }
      if (!regions.includes(m[1])) problems.push(`--delays: ${m[1]} is not in --regions`);
      else if (m[1] === home) problems.push(`--delays: ${m[1]} is the home region (it holds a push at once)`);
      else delays[m[1]] = Number(m[2]);
    }
  }
  if (problems.length > 0) throw new DemoOptionsError(problems.join('\n'));

  const factor = speed ?? (short ? 2 : 1);
  for (const r of Object.keys(delays)) delays[r] = Math.round((delays[r] ?? 0) / factor);
  return {
    regions,
    home,
    delays,
    speed: factor,
    keep,
    port: port ?? (keep ? 7071 : 0),
    short,
    screenshot,
    rolloutMs: Math.max(50, Math.round(600 / factor)),
    help,
  };
}
