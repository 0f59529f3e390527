// The demo's operator: the demo runs with policy.approvalWaves [1], so each release
// waits before its wave 1; this approves each waiting wave once through the real route
// (POST /api/releases/{id}/approve, as the status page's button does) once the approval.required
// notification for it arrived, and says so.
import type { ReleaseSummaryView } from '../src/app/status/views';
import type { Stack } from './stack';

/** How long the operator waits for the approval.required notification before approving anyway. */
const NOTIFICATION_GRACE_MS = 10_000;

export class DemoApprover {
  private readonly asked = new Set<string>();
  private readonly waitingSince = new Map<string, number>();
  /** "<repository>:<tag> wave <n>" for each approval the host accepted. */
  readonly approved: string[] = [];

  /**
   * `notified(releaseId, wave)`: whether the approval.required notification arrived. The operator
   * acts on it, as a person would, so the demo's output shows the request before the approval.
   */
  constructor(
    private readonly stack: Stack,
    private readonly note: (text: string) => void,
    private readonly notified: (releaseId: string, wave: number) => boolean = () => true,
  ) {}

  async check(releases: readonly ReleaseSummaryView[]): Promise<void> {
    for (const rel of releases) {
      const waves = new Set(rel.rollouts.filter((r) => r.state === 'awaiting-approval').map((r) => r.wave));
      for (const wave of waves) {
        const key = `${rel.id}#${wave}`;
        if (this.asked.has(key)) continue;
        const since = this.waitingSince.get(key) ?? Date.now();
        this.waitingSince.set(key, since);
        const late = Date.now() - since > NOTIFICATION_GRACE_MS;
        if (!this.notified(rel.id, wave) && !late) continue;
        this.asked.add(key);
        if (late && !this.notified(rel.id, wave))
          this.note(
            `   operator: no approval.required notification for ${rel.repository}:${rel.tag} wave ${wave} arrived; approving anyway`,
          );
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
