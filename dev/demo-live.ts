// The demo's live view of each region's state. On a terminal: a compact table redrawn in place,
// with narration printed above it. Otherwise (CI logs, pipes): one timestamped line per change.
import type { ReleaseSummaryView } from '../src/app/status/views';

const ANSI: Record<string, string> = {
  'waiting-for-replica': '33',
  'replica-ready': '36',
  'rolling-out': '34;1',
  succeeded: '32',
  failed: '31;1',
  superseded: '90',
  skipped: '90',
  'replication-timed-out': '31',
  halted: '35',
  'dry-run': '36',
};

const SYMBOL: Record<string, string> = {
  'waiting-for-replica': '…',
  'replica-ready': '•',
  'rolling-out': '↻',
  succeeded: '✔',
  failed: '✘',
  superseded: '⤼',
  skipped: '⤼',
  'replication-timed-out': '⌛',
  halted: '■',
  'dry-run': '○',
};

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

export class LiveView {
  private readonly tty: boolean;
  private readonly color: boolean;
  private drawnLines = 0;
  private stopped = false;
  private last: ReleaseSummaryView[] = [];
  private readonly seen = new Map<string, string>();
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly regions: readonly string[],
  ) {
    this.tty = out.isTTY === true;
    this.color = this.tty && !process.env.NO_COLOR;
  }

  elapsed(): string {
    return `+${((Date.now() - this.started) / 1000).toFixed(1)}s`.padStart(7);
  }

  paint(code: string | undefined, text: string): string {
    return this.color && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** A narration line (printed above the live table on a terminal). */
  note(text: string): void {
    this.erase();
    this.out.write(`${this.elapsed()}  ${text}\n`);
    this.draw();
  }

  update(releases: ReleaseSummaryView[]): void {
    if (this.stopped) return;
    this.last = releases;
    if (this.tty) {
      this.erase();
      this.draw();
      return;
    }
    // Oldest release first, so the log reads in the order things happened.
    for (const rel of [...releases].reverse())
      for (const r of rel.rollouts) {
        const key = `${rel.id}|${r.region}`;
        const before = this.seen.get(key);
        if (before === r.state) continue;
        this.seen.set(key, r.state);
        const change = before ? `${before} → ${r.state}` : r.state;
        this.out.write(
          `${this.elapsed()}  ${r.region.padEnd(14)} ${`${rel.repository}:${rel.tag}`.padEnd(14)} ${change}  (${r.reason})\n`,
        );
      }
  }

  /** Leaves the last table on screen and stops redrawing. */
  stop(): void {
    this.stopped = true;
    this.drawnLines = 0;
  }

  private erase(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (!this.tty || this.stopped || this.last.length === 0) return;
    const col = 26;
    const lines: string[] = [];
    lines.push(
      '  ' + 'release'.padEnd(22) + this.regions.map((r) => this.paint('1', r.padEnd(col))).join(''),
    );
    for (const rel of this.last) {
      const label = `${rel.repository}:${rel.tag} ${shortDigest(rel.digest).slice(0, 6)}`.padEnd(22);
      const cells = this.regions.map((region) => {
        const r = rel.rollouts.find((x) => x.region === region);
        if (!r) return '–'.padEnd(col);
        const lag = r.figures.replicationLagMs !== null ? ` ${fmtMs(r.figures.replicationLagMs)}` : '';
        const text = `${SYMBOL[r.state] ?? ' '} ${r.state}${r.state === 'succeeded' ? lag : ''}`;
        return this.paint(ANSI[r.state], text.padEnd(col));
      });
      lines.push('  ' + label + cells.join(''));
    }
    lines.push(this.paint('2', `  ${this.elapsed().trim()}  (live from GET /api/releases)`));
    this.out.write(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}
