import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import fc from 'fast-check';
import { resolveConfig } from '../../domain/config';
import {
  type AgentConfig,
  agentConfig,
  aggregatorSources,
  type HostLogSource,
  hostLogGroupName,
} from '../../domain/logs/agent-config';
import { createHandler } from '../../lambdas/log-aggregator';
import { LogAggregation } from '../../lib/log-aggregation';
import config from '../../observability.config';
import schema from '../fixtures/cloudwatch-agent-schema.json';
import { runMain } from '../private/cli';
import { dataMessage } from '../private/cwl-payload';

const validateAgentConfig = new Ajv({ allErrors: true }).compile(schema);
const prod = resolveConfig(config, 'prod');
const EXAMPLE_SOURCES: readonly HostLogSource[] = prod.logging.sources;

function schemaErrors(value: unknown): string[] {
  return validateAgentConfig(value)
    ? []
    : (validateAgentConfig.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

async function run(args: string[], cwd?: string) {
  const { code, out, err } = await runMain(args, cwd);
  return { code, out: out.join('\n'), err };
}

describe('the CloudWatch agent configuration', () => {
  it("matches the agent's documented schema for the example configuration's three sources", () => {
    const generated = agentConfig({ service: 'maif', environment: 'prod', sources: EXAMPLE_SOURCES });

    expect(schemaErrors(generated)).toEqual([]);
    expect(generated.logs.logs_collected.files.collect_list).toEqual([
      {
        file_path: '/logs/maif-app-*.log',
        log_group_name: '/maif/prod/hosts/application_logs',
        log_stream_name: '{instance_id}',
        timezone: 'UTC',
        multi_line_start_pattern: '^\\{',
      },
      {
        file_path: '/var/log/system.log',
        log_group_name: '/maif/prod/hosts/system_logs',
        log_stream_name: '{instance_id}',
        timezone: 'UTC',
        timestamp_format: '%b %d %H:%M:%S',
        multi_line_start_pattern: '{timestamp_format}',
      },
      {
        file_path: '/logs/access.log',
        log_group_name: '/maif/prod/hosts/access_logs',
        log_stream_name: '{instance_id}',
        timezone: 'UTC',
        timestamp_format: '%d/%b/%Y:%H:%M:%S %z',
      },
    ]);
  });

  it('is checked by a schema that rejects what the agent rejects', () => {
    const good = agentConfig({ service: 'maif', environment: 'prod', sources: EXAMPLE_SOURCES });
    const entry = good.logs.logs_collected.files.collect_list[0];
    const withEntry = (changes: Record<string, unknown>): AgentConfig => ({
      ...good,
      logs: { ...good.logs, logs_collected: { files: { collect_list: [{ ...entry, ...changes }] } } },
    });

    expect(schemaErrors(withEntry({ timezone: 'PST' }))).toEqual([
      '/logs/logs_collected/files/collect_list/0/timezone must be equal to one of the allowed values',
    ]);
    expect(schemaErrors(withEntry({ retention_in_days: 31 }))).toEqual([
      '/logs/logs_collected/files/collect_list/0/retention_in_days must be equal to one of the allowed values',
    ]);
    expect(schemaErrors(withEntry({ filters: [{ type: 'drop', expression: 'x' }] }))).toEqual([
      '/logs/logs_collected/files/collect_list/0/filters/0/type must be equal to one of the allowed values',
    ]);
    expect(schemaErrors(withEntry({ log_group_name: `/${'g'.repeat(512)}` }))).toEqual([
      '/logs/logs_collected/files/collect_list/0/log_group_name must NOT have more than 512 characters',
    ]);
    expect(schemaErrors(withEntry({ path: '/var/log/x' }))).toEqual([
      '/logs/logs_collected/files/collect_list/0 must NOT have additional properties',
    ]);
  });

  it('stays within the schema for any valid source', () => {
    const sourceArb = fc.record({
      name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,40}$/),
      path: fc.stringMatching(/^\/[a-z0-9_*./-]{1,200}$/),
      parser: fc.constantFrom('json' as const, 'syslog' as const, 'nginx' as const),
      tags: fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.string(), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(sourceArb, { minLength: 1, maxLength: 8, selector: (s) => s.name }),
        fc.constantFrom('instance_id' as const, 'hostname' as const, 'ip_address' as const),
        (sources, streamName) => {
          const generated = agentConfig({ service: 'maif', environment: 'dev', sources, streamName });
          expect(schemaErrors(generated)).toEqual([]);
        },
      ),
    );
  });

  it('rejects a relative path, naming the source and what is allowed', () => {
    expect(() =>
      agentConfig({
        service: 'maif',
        environment: 'prod',
        sources: [EXAMPLE_SOURCES[0], { name: 'app', path: 'logs/app.log', parser: 'json' }],
      }),
    ).toThrow(
      "logging.sources[1].path: 'logs/app.log' is not an absolute path glob (the agent reads files on the host: use /var/log/app-*.log)",
    );
  });

  it('refuses a configuration without sources', () => {
    expect(() => agentConfig({ service: 'maif', environment: 'prod', sources: [] })).toThrow(
      /^logging\.sources: the configuration has no log sources/,
    );
  });
});

describe("the aggregator's reading of host log groups", () => {
  const lines = {
    application_logs: '{"level":"ERROR","msg":"search_failed","service":"maif-search"}',
    system_logs: 'Jan  1 00:00:00 web-1 sshd[42]: Accepted publickey for deploy',
    access_logs: '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /search?q=x HTTP/1.1" 502 12 "-" "curl/8"',
  } as const;

  it.each(Object.entries(lines))(
    'gives a line shipped to the %s host log group its source, parser and tags',
    async (name, line) => {
      const written: string[] = [];
      const handler = createHandler(
        { rules: [], sources: aggregatorSources(EXAMPLE_SOURCES, 'maif', 'prod') },
        { sink: (l) => written.push(...l), env: { namespace: 'MAIF', service: 'maif', environment: 'prod' } },
      );
      const group = hostLogGroupName('maif', 'prod', name);

      const result = await handler(dataMessage([line], { logGroup: group, logStream: 'i-0123456789abcdef0' }));

      expect(result).toMatchObject({ received: 1, processed: 1, deadLettered: 0 });
      const [event] = written.filter((l) => !l.includes('"_aws"')).map((l) => JSON.parse(l));
      const source = EXAMPLE_SOURCES.find((s) => s.name === name);
      expect(event).toMatchObject({
        source: { logGroup: group, logStream: 'i-0123456789abcdef0', name },
        tags: source?.tags,
      });
      expect(event.source.parser).toMatch(
        { json: /^json$/, syslog: /^syslog/, nginx: /^access$/ }[source?.parser ?? 'json'],
      );
    },
  );

  it('keeps matching a source by its path as a log group pattern', () => {
    const sources = aggregatorSources([{ name: 'edge', path: '/ecs/nginx-*', parser: 'nginx' }], 'maif', 'dev');
    expect(sources.map((s) => s.path)).toEqual(['/maif/dev/hosts/edge', '/ecs/nginx-*']);
  });
});

describe('the host log groups', () => {
  it('are the groups the agent writes to, encrypted, kept for the retention and subscribed to the aggregator', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    const aggregation = new LogAggregation(stack, 'Agg', {
      service: 'maif',
      namespace: 'MAIF',
      environment: 'prod',
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      hostSources: EXAMPLE_SOURCES,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    const template = Template.fromStack(stack);
    const groups = agentConfig({
      service: 'maif',
      environment: 'prod',
      sources: EXAMPLE_SOURCES,
    }).logs.logs_collected.files.collect_list.map((entry) => entry.log_group_name);

    expect(Object.keys(aggregation.hostLogGroups)).toEqual(['application_logs', 'system_logs', 'access_logs']);
    for (const name of groups) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: name,
        RetentionInDays: 90,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      });
    }
    const subscribed = Object.values(template.findResources('AWS::Logs::SubscriptionFilter')).map(
      (f) => stack.resolve(f.Properties.LogGroupName) as { Ref: string },
    );
    const named = template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.anyValue() } });
    expect(subscribed.map((ref) => named[ref.Ref]?.Properties.LogGroupName).sort()).toEqual([...groups].sort());
  });
});

describe('maif-obs agent-config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maif-obs-agent-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the configuration of the environment asked for', async () => {
    const { code, out, err } = await run(['agent-config', '--env', 'staging', '--stream', 'hostname']);

    expect(err).toEqual([]);
    expect(code).toBe(0);
    const printed = JSON.parse(out);
    expect(schemaErrors(printed)).toEqual([]);
    expect(
      printed.logs.logs_collected.files.collect_list.map((e: { log_group_name: string }) => e.log_group_name),
    ).toEqual([
      '/maif/staging/hosts/application_logs',
      '/maif/staging/hosts/system_logs',
      '/maif/staging/hosts/access_logs',
    ]);
    expect(printed.logs.logs_collected.files.collect_list[0].log_stream_name).toBe('{hostname}');
  });

  it('writes the file given with --out and prints its path', async () => {
    const configFile = join(dir, 'hosts.config.ts');
    writeFileSync(
      configFile,
      `export default {
        service: 'shop', namespace: 'Shop',
        environments: { live: { region: 'eu-west-3' } },
        logging: { sources: [{ name: 'orders', path: '/srv/orders/*.log', parser: 'json', tags: { team: 'orders' } }] },
      };\n`,
    );

    const { code, out } = await run(['agent-config', '--config', configFile, '--out', 'agent/cwagent.json'], dir);

    expect(code).toBe(0);
    expect(out).toBe(join(dir, 'agent', 'cwagent.json'));
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.agent.region).toBe('eu-west-3');
    expect(written.logs.logs_collected.files.collect_list).toEqual([
      expect.objectContaining({ file_path: '/srv/orders/*.log', log_group_name: '/shop/live/hosts/orders' }),
    ]);
  });

  it('reports a bad option value on one line', async () => {
    const { code, err } = await run(['agent-config', '--stream', 'pod']);

    expect(code).toBe(1);
    expect(err).toEqual([
      "maif-obs agent-config: --stream: 'pod' is not one of 'instance_id', 'hostname', 'ip_address', 'local_hostname'",
    ]);
  });
});
