// The alert rules, from the compiled template deployed on paper: created only with ALERT_EMAIL,
// one rule per condition the operator must hear about, each a log search over what the app really
// exports (metric and log names checked against src/), all to one action group that e-mails the
// parameter, evaluated every 5 minutes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, scenario } from './arm';

const src = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const withAlerts = scenario({ alertEmail: 'oncall@example.com' });
const rules = withAlerts.resources.filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules');
const groups = withAlerts.resources.filter((r) => r.type === 'Microsoft.Insights/actionGroups');
type Criteria = {
  allOf: Array<{ query: string; metricMeasureColumn: string; dimensions: Array<{ name: string }> }>;
};
const byKey = Object.fromEntries(rules.map((r) => [r.name.replace(/^alert-rollout-/, ''), r]));
const query = (key: string) => (byKey[key]!.properties.criteria as Criteria).allOf[0]!;

describe('alert rules', () => {
  it('when ALERT_EMAIL is unset, then no action group and no rule are created', () => {
    const none = scenario();
    expect(
      none.resources.filter(
        (r) => r.type.startsWith('Microsoft.Insights/') && r.type !== 'Microsoft.Insights/components',
      ),
    ).toEqual([]);
  });

  it('when the rules are created, then there is one per condition, on Application Insights, every 5 minutes', () => {
    expect(Object.keys(byKey)).toEqual([
      'region-failed',
      'replication-timed-out',
      'release-halted',
      'region-stuck',
      'wakeup-poisoned',
    ]);
    for (const r of rules) {
      expect(r.raw.kind).toBe('LogAlert');
      expect(r.properties).toMatchObject({
        evaluationFrequency: 'PT5M',
        windowSize: 'PT5M',
        enabled: true,
        autoMitigate: true,
      });
      expect(String((r.properties.scopes as string[])[0])).toMatch(
        /Microsoft\.Insights\/components\/appi-rollout-/,
      );
    }
  });

  it('when a rule queries a metric or log, then the app emits that name and those fields', () => {
    const metrics = src('src/app/platform/metrics.ts');
    const logs = [src('src/app/rollout/step-rollout.ts'), src('src/app/notify/transition-outbox.ts')].join(
      '\n',
    );
    for (const key of ['region-failed', 'replication-timed-out']) {
      expect(query(key).query).toContain("name == 'rollout.outcomes'");
      expect(metrics).toContain("'rollout.outcomes'");
    }
    expect(query('region-failed').query).toContain("== 'failed'");
    expect(query('replication-timed-out').query).toContain("== 'replication-timed-out'");
    expect(query('release-halted').query).toMatch(/e\.to\) == 'halted'/);
    expect(logs).toContain("log.warn('rollout.transition', fields)");
    expect(query('region-stuck').query).toContain("'rollout.stuck'");
    expect(logs).toContain("'rollout.stuck'");
    expect(query('wakeup-poisoned').query).toContain("== 'wakeup.poisoned'");
    expect(src('src/app/wakeups/poisoned-wakeups.ts')).toContain("log.error('wakeup.poisoned'");
    for (const key of Object.keys(byKey)) {
      const q = query(key);
      expect(q.query).toMatch(new RegExp(`by ${q.dimensions[0]!.name} = `));
      expect(q.query).toMatch(/summarize count = /);
      expect(q.metricMeasureColumn).toBe('count');
    }
  });

  it('when a rule fires, then it goes to the one action group, which e-mails the parameter', () => {
    expect(groups).toHaveLength(1);
    expect(groups[0]!.properties.emailReceivers).toEqual([
      { name: 'operator', emailAddress: 'oncall@example.com', useCommonAlertSchema: true },
    ]);
    for (const r of rules)
      expect((r.properties.actions as { actionGroups: string[] }).actionGroups).toEqual([groups[0]!.id]);
  });
});
