// The alert rules over the Bicep text: one rule per condition the operator must hear about
// (failed region, halted release, replication time-out, stuck region), each a log search on what
// the app really exports (metric and log names from src/), all to one action group whose e-mail
// is a parameter, and created only when that parameter is set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, ROOT, read, stripComments } from './bicep-text';

const alerts = stripComments(read(join(INFRA, 'app', 'alerts.bicep')));
const main = stripComments(read(join(INFRA, 'main.bicep')));

/** The rules array: each `{ key: ... }` element with its fields. */
function rules(): Array<{ key: string; dimension: string; query: string }> {
  const block = /var rules = \[([\s\S]*?)\n\]/.exec(alerts)?.[1] ?? '';
  return [...block.matchAll(/key: '([^']+)'[\s\S]*?dimension: '([^']+)'\s*query: ([\s\S]*?)\n {2}\}/g)].map(
    (m) => {
      let query = m[3]!.trim();
      const rep = /^replace\(outcomeQuery, '\{state\}', '([^']+)'\)$/.exec(query);
      if (rep) {
        const template = /var outcomeQuery = '''([\s\S]*?)'''/.exec(alerts)?.[1] ?? '';
        query = template.replace('{state}', rep[1]!);
      }
      return { key: m[1]!, dimension: m[2]!, query };
    },
  );
}

const src = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('alert rules (infra/app/alerts.bicep)', () => {
  it('when the rules are read, then there is one per condition', () => {
    expect(rules().map((r) => r.key)).toEqual([
      'region-failed',
      'replication-timed-out',
      'release-halted',
      'region-stuck',
      'wakeup-poisoned',
    ]);
  });

  it('when a rule queries a metric or log, then the app emits that name and those fields', () => {
    const metrics = src('src/app/metrics.ts');
    const logs = [src('src/app/advance-rollout.ts'), src('src/app/notify-outbox.ts')].join('\n');
    const byKey = Object.fromEntries(rules().map((r) => [r.key, r]));
    for (const key of ['region-failed', 'replication-timed-out']) {
      expect(byKey[key]!.query).toContain("name == 'rollout.outcomes'");
      expect(metrics).toContain("'rollout.outcomes'");
    }
    expect(byKey['region-failed']!.query).toContain("== 'failed'");
    expect(byKey['replication-timed-out']!.query).toContain("== 'replication-timed-out'");
    expect(byKey['release-halted']!.query).toMatch(/e\.to\) == 'halted'/);
    expect(logs).toContain("log.warn('rollout.transition', fields)");
    expect(byKey['region-stuck']!.query).toContain("'rollout.stuck'");
    expect(logs).toContain("'rollout.stuck'");
    expect(byKey['wakeup-poisoned']!.query).toContain("== 'wakeup.poisoned'");
    expect(src('src/app/poisoned-wakeups.ts')).toContain("log.error('wakeup.poisoned'");
    // Every rule splits by a column its query produces, and measures the `count` column.
    for (const r of rules()) expect(r.query).toMatch(new RegExp(`by ${r.dimension} = `));
    for (const r of rules()) expect(r.query).toMatch(/summarize count = /);
    expect(alerts).toContain("metricMeasureColumn: 'count'");
  });

  it('when a rule fires, then it goes to the one action group, which e-mails the parameter', () => {
    expect(alerts).toMatch(
      /resource alertRules 'Microsoft\.Insights\/scheduledQueryRules@[\d-]+(-preview)?' = \[/,
    );
    expect(alerts).toContain("kind: 'LogAlert'");
    expect(alerts).toMatch(/actionGroups: \[\s*actionGroup\.id\s*\]/);
    expect(alerts).toMatch(/resource actionGroup 'Microsoft\.Insights\/actionGroups@[\d-]+'/);
    expect(alerts).toMatch(/emailReceivers: \[\s*\{[\s\S]*?emailAddress: alertEmail/);
    expect(alerts).toMatch(/^param alertEmail string$/m);
    expect(alerts).toMatch(/scopes: \[\s*applicationInsightsId\s*\]/);
    expect(alerts).toContain("evaluationFrequency: 'PT5M'");
  });

  it('when main.bicep deploys, then the alerts module gets the e-mail parameter and App Insights, only when set', () => {
    expect(main).toMatch(/^param alertEmail string = ''$/m);
    expect(main).toMatch(/module alerts 'app\/alerts\.bicep' = if \(!empty\(alertEmail\)\)/);
    expect(main).toMatch(/applicationInsightsId: monitoring\.outputs\.resourceId/);
    expect(main).toMatch(/alertEmail: alertEmail/);
    // The parameters file is azd's template (ROLLOUT_CONFIG unquoted), so it is read as text.
    expect(read(join(INFRA, 'main.parameters.json'))).toMatch(
      /"alertEmail": \{\s*"value": "\$\{ALERT_EMAIL\}"/,
    );
  });

  it('when NOTIFY_TARGETS is deployed, then it comes from Key Vault (its URLs are credentials)', () => {
    const api = stripComments(read(join(INFRA, 'app', 'api.bicep')));
    expect(api).toMatch(/NOTIFY_TARGETS: '@Microsoft\.KeyVault\(SecretUri=\$\{notifyTargetsUri\}\)'/);
    expect(main).toMatch(/@secure\(\)\s*@description\([^\n]*\)\s*param notifyTargets string = ''/);
    const kv = stripComments(read(join(INFRA, 'app', 'keyvault.bicep')));
    expect(kv).toMatch(/name: 'notify-targets'/);
  });
});
