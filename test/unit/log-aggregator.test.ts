import fc from 'fast-check';
import { fingerprintOf } from '../../domain/contracts/events';
import type { ProcessingRule } from '../../domain/logs/config';
import { DecodeError, decodePayload } from '../../domain/logs/decode';
import { metricsApiRecorder } from '../../domain/logs/emf';
import { defaultServiceOf, type NormalizedEvent, normalize } from '../../domain/logs/normalize';
import { parseLine } from '../../domain/logs/parsers';
import { applyRules, compileRules } from '../../domain/logs/rules';
import { deadLetterBodies } from '../../lambdas/log-aggregator/dead-letter';
import { alertDetail, MAX_ALERT_EVENT_BYTES } from '../../lambdas/shared/alert-publisher';
import { Metrics } from '../../layers/instrumentation/metrics';
import exampleConfig from '../../observability.config';
import { controlMessage, corruptMessages, dataMessage, encodePayload } from '../private/cwl-payload';

const NOW = Date.UTC(2024, 0, 1);
const ctx = {
  logGroup: '/aws/lambda/maif-search',
  logStream: 's',
  sourceName: undefined,
  tags: undefined,
  defaultService: 'maif-search',
};
const eventOf = (line: string): NormalizedEvent => normalize(parseLine(line, NOW), 'id-1', NOW, ctx);

// the MAIF monitoring guide's three processing rules, as the example configuration carries them
const GUIDE_RULES = (exampleConfig.logging?.processingRules ?? []) as ProcessingRule[];
const TABLES = { users: { 'u-1': { plan: 'pro', region: 'eu' } } };

describe('processing rules', () => {
  it('enriches an event from a lookup table into the target field', () => {
    const rules = compileRules(GUIDE_RULES, TABLES);
    const event = eventOf('{"level":"INFO","user_id":"u-1","msg":"hi"}');
    applyRules(rules, event);
    expect(event.user).toEqual({ plan: 'pro', region: 'eu' });
  });

  it('leaves the event alone when the key is not in the table', () => {
    const rules = compileRules(GUIDE_RULES, TABLES);
    const event = eventOf('{"user_id":"u-404"}');
    applyRules(rules, event);
    expect(event.user).toBeUndefined();
  });

  it('copies the row, so editing one event never changes the table', () => {
    const rules = compileRules(
      [{ name: 'e', condition: 'true', action: 'enrich', field: 'user_id', table: 'users' }],
      TABLES,
    );
    const event = eventOf('{"user_id":"u-1"}');
    applyRules(rules, event);
    (event.users as Record<string, unknown>).plan = 'free';
    expect(TABLES.users['u-1'].plan).toBe('pro');
  });

  it('asks for an alert with the rule name, severity and labels when the condition holds', () => {
    const rules = compileRules(GUIDE_RULES, TABLES);
    expect(applyRules(rules, eventOf('{"level":"ERROR","msg":"boom"}')).alerts).toEqual([
      { rule: 'detect_errors', alertName: 'detect_errors', severity: 'warning', labels: { team: 'platform' } },
    ]);
    expect(applyRules(rules, eventOf('{"level":"INFO"}')).alerts).toBeUndefined();
  });

  it('extracts a count per event with the dimensions taken from fields', () => {
    const rules = compileRules(GUIDE_RULES, TABLES);
    expect(applyRules(rules, eventOf('{"operation":"search"}')).metrics).toEqual([
      { metric: 'log_operations_total', unit: 'Count', dimensions: { operation: 'search' }, value: undefined },
    ]);
  });

  it('extracts a value from a field and skips values that are not numbers', () => {
    const rules = compileRules(
      [
        {
          name: 'lat',
          condition: 'duration_ms exists',
          action: 'extract_metric',
          metric: 'op_ms',
          value: 'duration_ms',
          unit: 'Milliseconds',
          dimensions: ['metadata.index'],
        },
      ],
      {},
    );
    expect(applyRules(rules, eventOf('{"duration_ms":"12.5","metadata":{"index":"docs"}}')).metrics).toEqual([
      { metric: 'op_ms', unit: 'Milliseconds', dimensions: { index: 'docs' }, value: 12.5 },
    ]);
    const skipped = applyRules(rules, eventOf('{"duration_ms":"fast"}'));
    expect(skipped.metrics).toBeUndefined();
    expect(skipped.skippedValues).toBe(1);
  });

  it('drops an event and stops the rules that follow', () => {
    const rules = compileRules(
      [{ name: 'health', condition: "path == '/health'", action: 'drop' }, ...GUIDE_RULES],
      TABLES,
    );
    const effects = applyRules(rules, eventOf('{"path":"/health","level":"ERROR"}'));
    expect(effects).toMatchObject({ dropped: true, alerts: undefined });
  });

  it('runs rules in order, so a later rule sees an earlier enrichment', () => {
    const rules = compileRules(
      [
        GUIDE_RULES[0],
        { name: 'pro_errors', condition: "user.plan == 'pro'", action: 'trigger_alert', severity: 'critical' },
      ],
      TABLES,
    );
    expect(applyRules(rules, eventOf('{"user_id":"u-1"}')).alerts?.[0].alertName).toBe('pro_errors');
  });

  it('rejects a bad condition, naming the rule and the position', () => {
    expect(() => compileRules([{ name: 'bad', condition: "level = 'x'", action: 'drop' }])).toThrow(
      /processing rule 'bad': condition: expression "level = 'x'": at 7 expected an operator/,
    );
  });

  it('rejects an unknown lookup table, naming the rule and the tables known', () => {
    expect(() => compileRules([GUIDE_RULES[0]], { teams: {} })).toThrow(
      "log aggregator: processing rule 'enrich_user_context': table 'users' is not in lookupTables (known: teams)",
    );
  });
});

describe('decoding subscription payloads', () => {
  it('decodes a data message', () => {
    const payload = decodePayload(dataMessage(['a', 'b']));
    expect(payload).toMatchObject({
      messageType: 'DATA_MESSAGE',
      logGroup: '/aws/lambda/maif-search',
      owner: '123456789012',
    });
    expect(payload.logEvents).toHaveLength(2);
  });

  it('decodes a control message', () => {
    expect(decodePayload(controlMessage()).messageType).toBe('CONTROL_MESSAGE');
  });

  it.each([
    ['not base64', corruptMessages.notBase64(), /not base64/],
    ['not gzip', corruptMessages.notGzip(), /not gzip/],
    ['not JSON', corruptMessages.notJson(), /not JSON/],
    ['truncated gzip', corruptMessages.truncated(), /not gzip/],
    ['missing data', { records: [] }, /awslogs.data is missing/],
    [
      'wrong message type',
      encodePayload('{"messageType":"OTHER","logGroup":"g","logStream":"s","logEvents":[]}'),
      /messageType "OTHER"/,
    ],
  ])('rejects a payload that is %s with the reason', (_name, event, reason) => {
    expect(() => decodePayload(event)).toThrow(DecodeError);
    expect(() => decodePayload(event)).toThrow(reason);
  });

  it('never throws anything but a DecodeError on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string().map((data) => ({ awslogs: { data } })),
        ),
        (input) => {
          try {
            decodePayload(input);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
    );
  });
});

describe('dead-letter messages', () => {
  it('keeps a small letter whole', () => {
    const letter = {
      reason: 'parse_failed: x',
      logGroup: 'g',
      logStream: 's',
      event: { id: '1', timestamp: NOW, message: 'm' },
    };
    expect(deadLetterBodies(letter, 'k')).toEqual([JSON.stringify(letter)]);
  });

  it('splits a big letter into ordered parts that each fit and join back to the message', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 300, max: 2000 }),
        (message, limit) => {
          const letter = {
            reason: 'event_too_large',
            logGroup: 'g',
            logStream: 's',
            event: { id: '9', timestamp: NOW, message },
          };
          const bodies = deadLetterBodies(letter, 'k', limit);
          for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
          const parts = bodies.map((b) => JSON.parse(b));
          if (parts.length > 1) {
            expect(parts.map((p) => p.part.index)).toEqual(parts.map((_, i) => i));
            expect(new Set(parts.map((p) => p.part.count))).toEqual(new Set([parts.length]));
          }
          expect(parts.map((p) => p.event.message).join('')).toBe(message);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits the raw data of an undecodable payload', () => {
    const data = 'A'.repeat(10_000);
    const bodies = deadLetterBodies({ reason: 'decode_failed: x', data }, 'payload', 4096);
    expect(bodies.length).toBe(3);
    expect(bodies.map((b) => JSON.parse(b).data).join('')).toBe(data);
  });
});

describe('alert details', () => {
  const request = {
    rule: 'detect_errors',
    alertName: 'detect_errors',
    severity: 'warning' as const,
    labels: { team: 'platform' },
  };

  it('carries name, severity, labels with service and log group, summary, rule, event and fingerprint', () => {
    const event = eventOf('{"level":"ERROR","msg":"disk full"}');
    expect(alertDetail(request, event)).toEqual({
      alertName: 'detect_errors',
      severity: 'warning',
      labels: { service: 'maif-search', log_group: '/aws/lambda/maif-search', team: 'platform' },
      summary: 'detect_errors: disk full',
      rule: 'detect_errors',
      event,
      fingerprint: fingerprintOf('detect_errors', {
        service: 'maif-search',
        log_group: '/aws/lambda/maif-search',
        team: 'platform',
      }),
      occurrences: 1,
    });
  });

  it('has a fingerprint that ignores label order and changes with any label', () => {
    expect(fingerprintOf('a', { x: '1', y: '2' })).toBe(fingerprintOf('a', { y: '2', x: '1' }));
    expect(fingerprintOf('a', { x: '1' })).not.toBe(fingerprintOf('a', { x: '2' }));
    expect(fingerprintOf('a', { x: '1' })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('caps the event it carries', () => {
    const event = eventOf(JSON.stringify({ level: 'ERROR', msg: 'x'.repeat(50_000), blob: 'y'.repeat(50_000) }));
    const detail = alertDetail(request, event);
    expect(Buffer.byteLength(JSON.stringify(detail.event))).toBeLessThanOrEqual(MAX_ALERT_EVENT_BYTES);
    expect(detail.event).toMatchObject({ truncated: true, level: 'ERROR' });
  });
});

describe('normalized events', () => {
  it('fill timestamp, level, service, message and source', () => {
    expect(eventOf('just text')).toEqual({
      timestamp: '2024-01-01T00:00:00.000Z',
      level: 'INFO',
      service: 'maif-search',
      message: 'just text',
      source: { logGroup: '/aws/lambda/maif-search', logStream: 's', parser: 'text', id: 'id-1' },
    });
  });

  it('take the service of a Lambda log group from the function name', () => {
    expect(defaultServiceOf('/aws/lambda/maif-embed')).toBe('maif-embed');
    expect(defaultServiceOf('/ecs/api')).toBe('/ecs/api');
  });

  it('add the tags and name of a configured source', () => {
    const event = normalize(parseLine('{"tags":{"a":"1"}}', NOW), 'i', NOW, {
      ...ctx,
      sourceName: 'app',
      tags: { component: 'application' },
    });
    expect(event.tags).toEqual({ a: '1', component: 'application' });
    expect(event.source.name).toBe('app');
  });
});

describe('the metric recorder', () => {
  it('aggregates counts and value distributions per series through the kit Metrics, then starts over', () => {
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: 'MAIF', service: 'maif', strict: false, sink: (l) => lines.push(l) });
    const recorder = metricsApiRecorder(metrics);
    recorder.count('log_operations_total', 'Count', { operation: 'search' }, 2);
    recorder.count('log_operations_total', 'Count', { operation: 'search' }, 1);
    recorder.observe('op_ms', 'Milliseconds', {}, 5);
    recorder.observe('op_ms', 'Milliseconds', {}, 5);
    recorder.observe('op_ms', 'Milliseconds', {}, 7);
    recorder.flush();
    expect(lines).toHaveEmittedEMF('log_operations_total', 'MAIF');
    const docs = lines.map((l) => JSON.parse(l));
    const counts = docs.find((d) => d.operation === 'search' && 'log_operations_total' in d);
    expect(counts.log_operations_total).toBe(3);
    const dist = docs.find((d) => 'op_ms' in d).op_ms;
    expect(dist.Counts.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    expect(dist.Sum).toBeCloseTo(17);
    lines.length = 0;
    recorder.flush();
    expect(lines.some((l) => l.includes('op_ms'))).toBe(false);
  });
});
