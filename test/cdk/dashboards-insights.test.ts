import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { InsightsQueries, LOG_FIELDS, savedQueries, TRACE_ID_PLACEHOLDER } from '../../lib/dashboards/insights-queries';

const config = { service: 'maif', environment: 'prod' };

/** Logs Insights commands and functions: words that are not fields. */
const KEYWORDS = new Set([
  'fields',
  'filter',
  'stats',
  'sort',
  'limit',
  'display',
  'parse',
  'by',
  'as',
  'asc',
  'desc',
  'and',
  'or',
  'not',
  'in',
  'like',
  'count',
  'avg',
  'pct',
  'max',
  'min',
  'sum',
  'latest',
  'ispresent',
]);
const COMMANDS = new Set(['fields', 'filter', 'stats', 'sort', 'limit', 'display', 'parse']);

/** Splits a query into its commands and the field names it reads or names (aliases excluded). */
function analyse(query: string): { commands: string[]; fields: string[]; aliases: string[] } {
  const commands = query.split('\n').map((line) => line.replace(/^\| /, '').split(' ')[0]);
  const noStrings = query.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const aliases = [...noStrings.matchAll(/\bas ([A-Za-z_][\w]*)/g)].map((m) => m[1]);
  const words = [...noStrings.matchAll(/@?[A-Za-z_][\w.]*/g)].map((m) => m[0]);
  const fields = words.filter((w) => !KEYWORDS.has(w) && !aliases.includes(w));
  return { commands, fields, aliases };
}

function isSchemaField(field: string): boolean {
  if (field === '@timestamp') return true;
  return (LOG_FIELDS as readonly string[]).some(
    (f) => f === field || (f.endsWith('.*') && field.startsWith(f.slice(0, -1))),
  );
}

describe('the Logs Insights saved queries', () => {
  const queries = savedQueries(config, 1000);

  it('use only commands Logs Insights has, each line starting with one', () => {
    for (const q of queries) {
      const { commands } = analyse(q.query.toString());
      expect(commands.length).toBeGreaterThan(1);
      for (const c of commands) expect(COMMANDS.has(c)).toBe(true);
    }
  });

  it("read only fields of the kit's log line schema", () => {
    for (const q of queries) {
      const { fields } = analyse(q.query.toString());
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) expect([q.id, field, isSchemaField(field)]).toEqual([q.id, field, true]);
    }
  });

  it('sort by a column they compute or by a schema field', () => {
    for (const q of queries) {
      const text = q.query.toString();
      const sortLine = text.split('\n').find((l) => l.startsWith('| sort '))!;
      const column = sortLine.split(' ')[2];
      const { aliases } = analyse(text);
      expect(aliases.includes(column) || isSchemaField(column)).toBe(true);
    }
  });

  it('count errors by operation and error type for the service', () => {
    expect(queries[0].query.toString()).toBe(
      [
        'fields @timestamp, operation, error.type, error.message',
        '| filter service = "maif"',
        '| filter level in ["ERROR", "CRITICAL"]',
        '| stats count(*) as errors, latest(error.message) as last_message by operation, error.type',
        '| sort errors desc',
      ].join('\n'),
    );
  });

  it('find operations over the slow threshold, with their p95', () => {
    const text = savedQueries(config, 250)[1].query.toString();
    expect(text).toContain('| filter ispresent(duration_ms) and duration_ms > 250');
    expect(text).toContain('pct(duration_ms, 95) as p95_ms');
    expect(text).toContain('by operation');
  });

  it("show one trace's logs in time order, across services, from a placeholder id", () => {
    const text = queries[2].query.toString();
    expect(text).toContain(`| filter trace_id = "${TRACE_ID_PLACEHOLDER}"`);
    expect(text).toContain('| sort @timestamp asc');
    expect(text).not.toContain('service = ');
  });
});

describe('InsightsQueries', () => {
  function synth(props: Partial<ConstructorParameters<typeof InsightsQueries>[2]> = {}) {
    const stack = new Stack(new App(), 'Test');
    const group = new logs.LogGroup(stack, 'Logs', { logGroupName: '/aws/lambda/maif-api' });
    new InsightsQueries(stack, 'Queries', { config, logGroups: [group], ...props });
    return Template.fromStack(stack);
  }

  it('saves the three queries in a folder per service and environment, on the given log groups', () => {
    const template = synth();
    template.resourceCountIs('AWS::Logs::QueryDefinition', 3);
    for (const name of ['Errors by operation', 'Slow operations', 'Logs of one trace']) {
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `maif/prod/${name}`,
        LogGroupNames: [{ Ref: Match.stringLikeRegexp('^Logs') }],
        QueryString: Match.stringLikeRegexp('^fields @timestamp'),
      });
    }
  });

  it('uses the slow threshold it is given', () => {
    synth({ slowOperationMs: 2500 }).hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'maif/prod/Slow operations',
      QueryString: Match.stringLikeRegexp('duration_ms > 2500'),
    });
  });

  it('rejects a threshold that is not a positive number and an empty list of log groups', () => {
    expect(() => synth({ slowOperationMs: 0 })).toThrow('slowOperationMs: 0 is not a positive number of milliseconds');
    expect(() => synth({ logGroups: [] })).toThrow('logGroups: [] is empty (give at least one log group)');
  });
});
