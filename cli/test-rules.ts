/** `maif-obs test-rules FILE...`: runs alert rule unit tests against a configuration's compiled rules. */
import { dirname, resolve } from 'node:path';
import type { ResolvedConfig } from '../domain/config';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../domain/config/load';
import { compileAlerting } from '../domain/rules/alarms';
import { loadRuleTestFile } from '../domain/rules/rule-test-file';
import { type RuleTestResult, runRuleTests } from '../domain/rules/rule-tests';
import type { CliCommand, CliContext } from './command';
import { parseCommandLine } from './options';

export interface TestRulesOptions {
  /** Overrides the file's `config`, relative to the working directory. */
  readonly config?: string;
  readonly env?: string;
  readonly cwd: string;
}

/** Loads a test file and its configuration, compiles the rules and runs the tests. */
export function testRulesFile(
  path: string,
  options: TestRulesOptions,
): { results: RuleTestResult[]; config: ResolvedConfig } {
  const absolute = resolve(options.cwd, path);
  const file = loadRuleTestFile(absolute);
  const config =
    options.config !== undefined
      ? loadConfig(options.config, options.env ?? file.environment, options.cwd)
      : loadConfig(
          file.config ?? DEFAULT_CONFIG_FILE,
          options.env ?? file.environment,
          file.config ? dirname(absolute) : options.cwd,
        );
  const { specs, context } = compileAlerting(config);
  return { results: runRuleTests(file, specs, context), config };
}

const OPTIONS = { config: { type: 'string' }, env: { type: 'string' } } as const;
const USAGE = 'maif-obs test-rules FILE... [--config FILE] [--env NAME]';

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseCommandLine(args, OPTIONS);
  if (parsed.positionals.length === 0) throw new Error(`no test file given (usage: ${USAGE})`);
  let failed = 0;
  let total = 0;
  for (const path of parsed.positionals) {
    const { results, config } = testRulesFile(path, {
      config: parsed.values.config,
      env: parsed.values.env,
      cwd: context.cwd,
    });
    context.out(`${path} (${config.service}, ${config.environment})`);
    for (const r of results) {
      total++;
      context.out(`  ${r.passed ? 'PASS' : 'FAIL'} ${r.name}`);
      for (const f of r.failures) context.out(`    ${f}`);
      if (!r.passed) failed++;
    }
  }
  context.out(`${total - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

export const testRulesCommand: CliCommand = {
  summary: 'Run alert rule unit tests (input series, expected alerts) with CloudWatch alarm semantics',
  usage: USAGE,
  run,
};
