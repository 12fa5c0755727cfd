/** `maif-obs grafana-export`: one Grafana dashboard JSON file per dashboard of the configuration. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../domain/config/load';
import { toGrafanaDashboard } from '../domain/dashboards/grafana';
import { compileDashboards } from '../domain/dashboards/model';
import type { CliCommand, CliContext } from './command';
import { parseOptions } from './options';

/** The directory written when `--out` is not given. */
export const DEFAULT_OUT_DIR = 'grafana';

const OPTIONS = {
  config: { type: 'string' },
  env: { type: 'string' },
  out: { type: 'string' },
  region: { type: 'string' },
  'datasource-uid': { type: 'string' },
} as const;

const USAGE =
  'maif-obs grafana-export [--config FILE] [--env NAME] [--out DIR] [--region REGION] [--datasource-uid UID]';

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseOptions(args, OPTIONS);
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE, values.env, context.cwd);
  const region = values.region ?? config.region ?? context.env.AWS_REGION;
  if (!region) {
    throw new Error(
      `--region: none given (pass --region, set environments.${config.environment}.region in the configuration, or AWS_REGION)`,
    );
  }
  const dashboards = compileDashboards(config);
  if (dashboards.length === 0)
    throw new Error('the configuration has no dashboards (add dashboards or realtime.metrics)');
  const out = resolve(context.cwd, values.out ?? DEFAULT_OUT_DIR);
  mkdirSync(out, { recursive: true });
  const datasourceUid = values['datasource-uid'];
  for (const dashboard of dashboards) {
    const json = toGrafanaDashboard(dashboard, { region, ...(datasourceUid ? { datasourceUid } : {}) });
    const file = join(out, `${dashboard.name}.json`);
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    context.out(file);
  }
  return 0;
}

export const grafanaExportCommand: CliCommand = {
  summary: 'Write each dashboard of the configuration as Grafana dashboard JSON on the CloudWatch data source',
  usage: USAGE,
  run,
};
