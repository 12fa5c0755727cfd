/** A rule test file (YAML or JSON): its shape checked, each error naming the field, the value and what is allowed. */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../records';
import { type RuleTestFile, STATES } from './rule-tests';

/** Checks the shape of a parsed test file; the error names the field, the value and what is allowed. */
export function validateRuleTestFile(raw: unknown): RuleTestFile {
  const bad = (field: string, value: unknown, allowed: string): never => {
    throw new Error(`${field}: ${JSON.stringify(value) ?? 'undefined'} is not allowed (${allowed})`);
  };
  if (!isRecord(raw)) bad('test file', raw, 'a mapping with tests');
  const file = raw as Record<string, unknown>;
  for (const key of ['config', 'environment', 'evaluation_interval'] as const) {
    if (file[key] !== undefined && typeof file[key] !== 'string') bad(key, file[key], 'a string');
  }
  if (!Array.isArray(file.tests) || file.tests.length === 0) bad('tests', file.tests, 'a list of at least one test');
  (file.tests as unknown[]).forEach((t, i) => {
    const where = `tests[${i}]`;
    if (!isRecord(t)) bad(where, t, 'a mapping with name, input_series and alert_rule_test');
    const test = t as Record<string, unknown>;
    if (typeof test.name !== 'string' || test.name === '') bad(`${where}.name`, test.name, 'a non-empty string');
    if (!Array.isArray(test.input_series))
      bad(`${where}.input_series`, test.input_series, 'a list of { metric, values }');
    (test.input_series as unknown[]).forEach((s, j) => {
      if (!isRecord(s) || typeof s.metric !== 'string' || typeof s.values !== 'string') {
        bad(`${where}.input_series[${j}]`, s, "{ metric: 'name{label=\"v\"}', values: '0+1x10' }");
      }
    });
    if (!Array.isArray(test.alert_rule_test) || test.alert_rule_test.length === 0) {
      bad(`${where}.alert_rule_test`, test.alert_rule_test, 'a list of { eval_time, alertname, exp_alerts }');
    }
    (test.alert_rule_test as unknown[]).forEach((c, j) => {
      const at = `${where}.alert_rule_test[${j}]`;
      if (!isRecord(c) || typeof c.eval_time !== 'string' || typeof c.alertname !== 'string') {
        bad(at, c, "{ eval_time: '10m', alertname: 'rule', exp_alerts: [...] }");
      }
      const check = c as Record<string, unknown>;
      if (check.exp_alerts !== undefined && !Array.isArray(check.exp_alerts))
        bad(`${at}.exp_alerts`, check.exp_alerts, 'a list');
      if (check.exp_state !== undefined && !STATES.includes(check.exp_state as string)) {
        bad(`${at}.exp_state`, check.exp_state, STATES.join(', '));
      }
    });
  });
  return raw as RuleTestFile;
}

/** Reads a test file: YAML (`.yaml`, `.yml`) or JSON. */
export function loadRuleTestFile(path: string): RuleTestFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`test file '${path}' cannot be read (give the path of a YAML or JSON rule test file)`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(
      `test file '${path}' is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return validateRuleTestFile(raw);
}
