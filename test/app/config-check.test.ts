// The configuration checked at app start (the appStart hook of src/functions/index.ts): one log
// line, every problem in it, no secret, never a throw.
import { describe, expect, it } from 'vitest';
import { logConfigAtStart } from '../../src/app/config/check';
import { Logger } from '../../src/app/platform/logger';
import { WEBHOOK_SECRET, intakeSettings } from '../support/intake-env';

function capture() {
  const lines: Array<{ level: string; line: string }> = [];
  const log = new Logger({
    info: (m) => lines.push({ level: 'info', line: m }),
    warn: (m) => lines.push({ level: 'warn', line: m }),
    error: (m) => lines.push({ level: 'error', line: m }),
  });
  return { lines, log };
}

const valid = () =>
  intakeSettings({ prefix: 'tcheck', connectionString: 'UseDevelopmentStorage=true' }) as Record<
    string,
    string
  >;

describe('configuration check at app start', () => {
  it('when settings are broken, then one error line lists every problem and nothing throws', () => {
    const { lines, log } = capture();
    const env = { ...valid(), ROLLOUT_CONFIG: '{', RECONCILE_CONCURRENCY: '0', WEBHOOK_SECRETS: 'x y' };
    const check = logConfigAtStart(env, log);
    expect(check.ok).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    const entry = JSON.parse(lines[0]!.line) as { event: string; problems: string[] };
    expect(entry.event).toBe('config.invalid');
    expect(entry.problems).toEqual([
      'WEBHOOK_SECRETS: each secret must be at least 16 characters',
      'WEBHOOK_SECRETS: each secret must be printable ASCII without whitespace or control characters',
      'RECONCILE_CONCURRENCY: must be at least 1 (it is 0)',
      expect.stringMatching(/^ROLLOUT_CONFIG: is not valid JSON/),
    ]);
  });

  it('when settings are valid, then one info line with the summary and no secret', () => {
    const { lines, log } = capture();
    expect(logConfigAtStart(valid(), log).ok).toBe(true);
    expect(lines.map((l) => l.level)).toEqual(['info']);
    expect(lines[0]!.line).toContain('"event":"config.valid"');
    expect(lines[0]!.line).toContain('3 region(s)');
    expect(lines[0]!.line).not.toContain(WEBHOOK_SECRET);
  });
});
