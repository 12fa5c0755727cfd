import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { testRulesCommand, testRulesFile } from '../../cli/test-rules';
import { loadRuleTestFile, validateRuleTestFile } from '../../domain/rules/rule-test-file';
import { parseSeriesSelector, parseSeriesValues, type RuleTestFile } from '../../domain/rules/rule-tests';

const ROOT = join(__dirname, '..', '..');
const SHIPPED = 'alerting/rules.test.yaml';
/** The five alert rules of the MAIF monitoring guide. */
const GUIDE_RULES = ['high_error_rate', 'system_down', 'high_latency', 'disk_space_low', 'memory_leak', 'no_traffic'];

function runCli(args: string[], cwd = ROOT) {
  const out: string[] = [];
  const err: string[] = [];
  const code = testRulesCommand.run(args, { cwd, env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return Promise.resolve(code).then((exitCode) => ({ exitCode, out, err }));
}

describe('the shipped rule tests (alerting/rules.test.yaml)', () => {
  it('pass against the example configuration', () => {
    const { results, config } = testRulesFile(SHIPPED, { cwd: ROOT });
    expect(config.environment).toBe('prod');
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results).toHaveLength(12);
  });

  it('test every rule of the MAIF monitoring guide both firing and not firing', () => {
    const file = loadRuleTestFile(join(ROOT, SHIPPED));
    const checks = file.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of GUIDE_RULES) {
      const mine = checks.filter((c) => c.alertname === rule);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 1)).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
    }
  });

  it('fail, saying what was expected and what happened, when an expectation is wrong', () => {
    const file = loadRuleTestFile(join(ROOT, SHIPPED));
    const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
    try {
      const [first] = file.tests;
      const broken: RuleTestFile = {
        ...file,
        config: join(ROOT, 'observability.config.ts'),
        tests: [
          {
            ...first,
            alert_rule_test: [
              { eval_time: '6m', alertname: 'high_error_rate', exp_alerts: [] },
              { eval_time: '6m', alertname: 'high_error_rate', exp_alerts: [{ exp_labels: { team: 'storage' } }] },
              { eval_time: '5m', alertname: 'high_error_rate', exp_state: 'OK' },
            ],
          },
        ],
      };
      writeFileSync(join(dir, 'broken.yaml'), stringify(broken));
      const [result] = testRulesFile(join(dir, 'broken.yaml'), { cwd: ROOT }).results;
      expect(result.passed).toBe(false);
      expect(result.failures).toEqual([
        'high_error_rate at 6m: expected 0 firing alert(s), got 1: ALARM (5 of 5 datapoints breaching (5 needed))',
        "high_error_rate at 6m: label team expected 'storage', got 'platform'",
        expect.stringMatching(/^high_error_rate at 5m: expected state OK, got INSUFFICIENT_DATA \(/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('maif-obs test-rules', () => {
  it('prints PASS per test and exits 0 on the shipped file', async () => {
    const { exitCode, out } = await runCli([SHIPPED, '--env', 'prod']);
    expect(exitCode).toBe(0);
    expect(out[0]).toBe('alerting/rules.test.yaml (maif, prod)');
    expect(out.filter((l) => l.startsWith('  PASS '))).toHaveLength(12);
    expect(out.at(-1)).toBe('12 passed, 0 failed');
  });

  it('prints FAIL with the reason and exits 1 when a test fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
    try {
      const file = join(dir, 'disk.json');
      writeFileSync(
        file,
        JSON.stringify({
          tests: [
            {
              name: 'disk never full',
              input_series: [{ metric: 'disk_usage{mount="/"}', values: '99x20' }],
              alert_rule_test: [{ eval_time: '16m', alertname: 'disk_space_low', exp_alerts: [] }],
            },
          ],
        }),
      );
      const { exitCode, out } = await runCli([file, '--config', 'observability.config.ts', '--env', 'dev']);
      expect(exitCode).toBe(1);
      expect(out).toEqual([
        `${file} (maif, dev)`,
        '  FAIL disk never full',
        '    disk_space_low at 16m: expected 0 firing alert(s), got 1: ALARM (15 of 15 datapoints breaching (15 needed))',
        '0 passed, 1 failed',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unknown rule and an unknown metric with the nearest names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
    try {
      const file = join(dir, 't.yaml');
      writeFileSync(
        file,
        stringify({
          tests: [
            { name: 'a', input_series: [], alert_rule_test: [{ eval_time: '1m', alertname: 'system_dwn' }] },
            {
              name: 'b',
              input_series: [{ metric: 'disk_usag', values: '1' }],
              alert_rule_test: [{ eval_time: '1m', alertname: 'system_down' }],
            },
          ],
        }),
      );
      const { results } = testRulesFile(file, { cwd: ROOT, config: 'observability.config.ts' });
      expect(results[0].failures[0]).toMatch(
        /^tests\[0\]\.alert_rule_test\[0\]\.alertname: no rule 'system_dwn' \(did you mean 'system_down'/,
      );
      expect(results[1].failures[0]).toMatch(
        /^tests\[1\]\.input_series\[0\]\.metric: unknown metric 'disk_usag' \(did you mean 'disk_usage'/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run without a test file', async () => {
    await expect(runCli([])).rejects.toThrow(
      'no test file given (usage: maif-obs test-rules FILE... [--config FILE] [--env NAME])',
    );
  });
});

describe('validateRuleTestFile', () => {
  it.each([
    [{}, 'tests: undefined is not allowed (a list of at least one test)'],
    [
      { tests: [{ name: 'x', input_series: [{ metric: 'up' }], alert_rule_test: [] }] },
      /^tests\[0\]\.input_series\[0\]: \{"metric":"up"\} is not allowed/,
    ],
    [
      {
        tests: [
          { name: 'x', input_series: [], alert_rule_test: [{ eval_time: '1m', alertname: 'a', exp_state: 'FIRING' }] },
        ],
      },
      'tests[0].alert_rule_test[0].exp_state: "FIRING" is not allowed (OK, ALARM, INSUFFICIENT_DATA)',
    ],
  ])('rejects a malformed file naming the field (%#)', (raw, message) => {
    expect(() => validateRuleTestFile(raw)).toThrow(message);
  });
});

describe('parseSeriesValues (promtool expanding notation)', () => {
  it.each([
    ['-2+4x3', [-2, 2, 6, 10]],
    ['1-2x4', [1, -1, -3, -5, -7]],
    ['1x4', [1, 1, 1, 1, 1]],
    ['1 _x3 stale', [1, 'missing', 'missing', 'missing', 'stale']],
    ['_ 1e3 .5', ['missing', 1000, 0.5]],
    ['0+10x2 100', [0, 10, 20, 100]],
  ])('expands %s', (text, expected) => {
    expect(parseSeriesValues(text)).toEqual(expected);
  });

  it('rejects an unknown token naming it and the allowed forms', () => {
    expect(() => parseSeriesValues('1 2y3')).toThrow(
      "values '1 2y3': '2y3' is not a sample (use a number, a+bxn, a-bxn, axn, _, _xn or stale)",
    );
  });

  it('expands any sequence of terms to the samples they describe (property)', () => {
    const term = fc.oneof(
      fc.record({
        kind: fc.constant('expand' as const),
        a: fc.integer({ min: -1000, max: 1000 }),
        b: fc.integer({ min: -50, max: 50 }),
        n: fc.integer({ min: 0, max: 20 }),
      }),
      fc.record({ kind: fc.constant('missing' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('number' as const), a: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 10 }), (terms) => {
        const text: string[] = [];
        const expected: (number | string)[] = [];
        for (const t of terms) {
          if (t.kind === 'expand') {
            text.push(`${t.a}${t.b < 0 ? '-' : '+'}${Math.abs(t.b)}x${t.n}`);
            for (let i = 0; i <= t.n; i++) expected.push(t.a + i * t.b);
          } else if (t.kind === 'missing') {
            text.push(t.n === 1 ? '_' : `_x${t.n}`);
            for (let i = 0; i < t.n; i++) expected.push('missing');
          } else {
            text.push(String(t.a));
            expected.push(t.a + 0); // String(-0) is '0'
          }
        }
        expect(parseSeriesValues(text.join(' '))).toEqual(expected);
      }),
    );
  });
});

describe('parseSeriesSelector', () => {
  it('reads the name and labels in either quote style', () => {
    expect(parseSeriesSelector('http_requests_total{operation="search", status_class=\'5xx\'}')).toEqual({
      name: 'http_requests_total',
      labels: { operation: 'search', status_class: '5xx' },
    });
    expect(parseSeriesSelector('up')).toEqual({ name: 'up', labels: {} });
  });

  it('rejects labels that are not label="value" pairs', () => {
    expect(() => parseSeriesSelector('up{target=api}')).toThrow(
      `metric 'up{target=api}': the labels at 'target=api' are not label="value" pairs separated by commas`,
    );
  });

  it('reads back any labels it is given (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.string({ maxLength: 10 }), { maxKeys: 5 }),
        (labels) => {
          const body = Object.entries(labels)
            .map(([k, v]) => `${k}="${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)
            .join(', ');
          expect(parseSeriesSelector(`m{${body}}`)).toEqual({ name: 'm', labels });
        },
      ),
    );
  });
});
