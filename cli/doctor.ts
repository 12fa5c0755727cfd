/**
 * `maif-obs doctor [--config FILE] [--env NAME] [--json] [--label-values N]`: checks a
 * configuration against the MAIF monitoring guide's best practices and CloudWatch's economics.
 * Exit code 1 when a finding is an error, 0 otherwise; `--json` prints
 * `{ findings, cost, summary }` for CI.
 */

import { DEFAULT_CONFIG_FILE, loadConfig } from '../domain/config/load';
import { runDoctor } from '../domain/doctor/doctor';
import { DEFAULT_ASSUMED_LABEL_VALUES } from '../domain/doctor/emitted';
import { formatReport } from '../domain/doctor/report';
import type { CliCommand, CliContext } from './command';
import { parseOptions } from './options';

const OPTIONS = {
  config: { type: 'string' },
  env: { type: 'string' },
  json: { type: 'boolean' },
  'label-values': { type: 'string' },
} as const;

const USAGE = 'maif-obs doctor [--config FILE] [--env NAME] [--json] [--label-values N]';
const MAX_LABEL_VALUES = 1_000_000;

function labelValues(text: string | undefined): number {
  if (text === undefined) return DEFAULT_ASSUMED_LABEL_VALUES;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_LABEL_VALUES) {
    throw new Error(`--label-values: '${text}' is not an integer from 1 to ${MAX_LABEL_VALUES}`);
  }
  return n;
}

function run(args: readonly string[], context: CliContext): number {
  const values = parseOptions(args, OPTIONS);
  const assumedLabelValues = labelValues(values['label-values']);
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const config = loadConfig(file, values.env, context.cwd);
  const report = runDoctor(config, { assumedLabelValues });
  if (values.json) {
    const { findings, cost, summary } = report;
    context.out(JSON.stringify({ environment: report.environment, findings, cost, summary }, null, 2));
  } else {
    for (const line of formatReport(report, file)) context.out(line);
  }
  return report.summary.errors > 0 ? 1 : 0;
}

export const doctorCommand: CliCommand = {
  summary:
    "Check the configuration against the MAIF monitoring guide's best practices and estimate its monthly CloudWatch cost",
  usage: USAGE,
  run,
};
