/**
 * `maif-obs agent-config`: the CloudWatch agent configuration that ships the configuration's
 * `logging.sources` (host and container log files) into the host log groups the stack creates
 * and subscribes to the log aggregator. Prints the JSON, or writes it to `--out`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../domain/config/load';
import { agentConfig, STREAM_NAMES, type StreamName } from '../domain/logs/agent-config';
import type { CliCommand, CliContext } from './command';
import { parseOptions } from './options';

const OPTIONS = {
  config: { type: 'string' },
  env: { type: 'string' },
  out: { type: 'string' },
  stream: { type: 'string' },
} as const;

const USAGE = `maif-obs agent-config [--config FILE] [--env NAME] [--out FILE] [--stream ${STREAM_NAMES.join('|')}]`;

function run(args: readonly string[], context: CliContext): number {
  const values = parseOptions(args, OPTIONS);
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE, values.env, context.cwd);
  const json = agentConfig({
    service: config.service,
    environment: config.environment,
    sources: config.logging.sources,
    ...(config.region !== undefined ? { region: config.region } : {}),
    ...(values.stream !== undefined ? { streamName: values.stream as StreamName } : {}),
  });
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (values.out === undefined) {
    context.out(text.trimEnd());
    return 0;
  }
  const file = resolve(context.cwd, values.out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  context.out(file);
  return 0;
}

export const agentConfigCommand: CliCommand = {
  summary: "Print the CloudWatch agent configuration that ships logging.sources into the aggregator's host log groups",
  usage: USAGE,
  run,
};
