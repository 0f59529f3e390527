// The demo's operator (issue 12): the demo runs with policy.approvalWaves [1], so each release
// waits before its wave 1; this approves each waiting wave once through the real route
// (POST /api/releases/{id}/approve, as the status page's button does) and says so.
import type { ReleaseSummaryView } from '../src/app/status-views';
import type { Stack } from './stack';

export class DemoApprover {
  private readonly asked = new Set<string>();
  /** "<repository>:<tag> wave <n>" for each approval the host accepted. */
  readonly approved: string[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly note: (text: string) => void,
  ) {}

  async check(releases: readonly ReleaseSummaryView[]): Promise<void> {
    for (const rel of releases) {
      const waves = new Set(rel.rollouts.filter((r) => r.state === 'awaiting-approval').map((r) => r.wave));
      for (const wave of waves) {
        const key = `${rel.id}#${wave}`;
        if (this.asked.has(key)) continue;
        this.asked.add(key);
        await this.approve(rel, wave);
      }
    }
  }

  private async approve(rel: ReleaseSummaryView, wave: number): Promise<void> {
    const name = `${rel.repository}:${rel.tag}`;
    const res = await fetch(`${this.stack.host.url}/api/releases/${rel.id}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wave, reason: `npm run demo approves wave ${wave}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) {
      this.approved.push(`${name} wave ${wave}`);
      this.note(
        `   operator: approved wave ${wave} of ${name} (POST /api/releases/${rel.id}/approve; see GET /api/audit)`,
      );
    } else {
      this.asked.delete(`${rel.id}#${wave}`); // asked again on the next poll
      this.note(`   operator: approving wave ${wave} of ${name} answered ${res.status}`);
    }
  }
}
