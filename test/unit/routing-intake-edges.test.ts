/**
 * Intake (domain/routing/intake.ts) at its edges: every malformed envelope and kit-alert field
 * named with the value received, the defaults of optional fields, and the summary limit. Alarms
 * (identity, trust, times) are test/unit/routing-intake.test.ts's.
 */
import { encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { MAX_ALERT_SUMMARY_CHARS } from '../../domain/contracts/events';
import { IntakeError, parseEvent } from '../../domain/routing/intake';

const description = (text: string) =>
  encodeAlarmDescription(text, { rule: 'system_down', severity: 'critical', labels: {} });

function alarmEvent(detail: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    id: 'evt-1',
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    time: '2026-11-24T10:00:00Z',
    detail: {
      alarmName: 'maif-prod-system_down',
      state: { value: 'ALARM', timestamp: '2026-11-24T10:00:05.000+0000' },
      configuration: { description: description('System is not responding') },
      ...detail,
    },
    ...top,
  };
}

function kitEvent(detail: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    id: 'kit-1',
    source: 'maif.observability',
    'detail-type': 'MAIF Alert',
    time: '2026-11-24T10:00:00Z',
    detail: { alertName: 'detect_errors', severity: 'warning', ...detail },
    ...top,
  };
}

const alertOf = (event: unknown) => {
  const intake = parseEvent(event);
  if (intake.kind !== 'alert') throw new Error(`not an alert: ${JSON.stringify(intake)}`);
  return intake.alert;
};

const rejects = (event: unknown, message: string) => {
  expect(() => parseEvent(event)).toThrow(IntakeError);
  expect(() => parseEvent(event)).toThrow(message);
};

describe('intake: the envelope', () => {
  it('names what is wrong with the event itself', () => {
    rejects('text', 'event: "text" is not an EventBridge event (an object)');
    rejects(null, 'event: null is not an EventBridge event (an object)');
    rejects({ ...alarmEvent(), id: undefined }, 'event event.id: missing is not a non-empty string');
    rejects({ ...alarmEvent(), id: '' }, 'event event.id: "" is not a non-empty string');
    rejects({ ...alarmEvent(), source: 7 }, 'event event.source: 7 is not a non-empty string');
    rejects({ ...alarmEvent(), detail: undefined }, 'event event.detail: missing is not an object');
    rejects({ ...alarmEvent(), detail: 'x' }, 'event event.detail: "x" is not an object');
  });

  it('cuts a long value in the message to 80 characters', () => {
    const long = 'x'.repeat(200);

    expect(() => parseEvent({ ...alarmEvent(), id: 5, source: long })).toThrow(`event event.id: 5 is not`);
    expect(() => parseEvent({ ...alarmEvent(), detail: long })).toThrow(
      `event event.detail: ${JSON.stringify(long).slice(0, 80)} is not an object`,
    );
  });

  it('names the sources it handles', () => {
    rejects(
      { ...alarmEvent(), source: 'aws.ec2' },
      "event source 'aws.ec2' detail-type 'CloudWatch Alarm State Change' is not handled (allowed: aws.cloudwatch 'CloudWatch Alarm State Change', maif.observability 'MAIF Alert')",
    );
    rejects(
      { ...kitEvent(), 'detail-type': 'Other' },
      "event source 'maif.observability' detail-type 'Other' is not handled",
    );
    rejects({ ...alarmEvent(), 'detail-type': 'MAIF Alert' }, 'is not handled');
  });
});

describe('intake: kit alerts', () => {
  it('defaults to firing, the log aggregator, the event time and the alert name as summary', () => {
    const a = alertOf(kitEvent());

    expect(a).toMatchObject({
      alertName: 'detect_errors',
      status: 'firing',
      severity: 'warning',
      labels: {},
      annotations: { summary: 'detect_errors' },
      startsAt: '2026-11-24T10:00:00.000Z',
      source: 'log-aggregator',
      eventId: 'kit-1',
    });
    expect(a).not.toHaveProperty('endsAt');
    expect(Object.keys(a.annotations)).toEqual(['summary']);
  });

  it('keeps its own source, start, summary, description and runbook, and ends a resolved alert at the event time', () => {
    const a = alertOf(
      kitEvent({
        status: 'resolved',
        source: 'health-probe',
        startsAt: '2026-11-24T09:00:00Z',
        summary: 'z'.repeat(5000),
        description: 'why',
        runbook: 'https://r',
        labels: { service: 'maif' },
      }),
    );

    expect(a).toMatchObject({
      status: 'resolved',
      source: 'health-probe',
      startsAt: '2026-11-24T09:00:00.000Z',
      endsAt: '2026-11-24T10:00:00.000Z',
      labels: { service: 'maif' },
      annotations: { summary: 'z'.repeat(MAX_ALERT_SUMMARY_CHARS), description: 'why', runbook: 'https://r' },
    });
    for (const source of ['baseline', 'heartbeat', 'log-aggregator'])
      expect(alertOf(kitEvent({ source })).source).toBe(source);
    expect(alertOf(kitEvent({ source: 'mallory' })).source).toBe('log-aggregator');
  });

  it('names a bad name, severity, label set or status', () => {
    rejects(kitEvent({ alertName: undefined }), 'event detail.alertName: missing is not a non-empty string');
    rejects(kitEvent({ severity: undefined }), 'event detail.severity: missing is not a non-empty string');
    rejects(
      kitEvent({ severity: 'fatal' }),
      "alert 'detect_errors': detail.severity 'fatal' is not one of critical, warning, info",
    );
    rejects(kitEvent({ labels: 'x' }), "alert 'detect_errors': detail.labels is not an object of strings");
    rejects(kitEvent({ labels: { a: 1 } }), 'detail.labels is not an object of strings');
    rejects(kitEvent({ status: 'gone' }), "alert 'detect_errors': detail.status 'gone' is not firing or resolved");
  });

  it('ignores SLO component alerts', () => {
    expect(parseEvent(kitEvent({ labels: { role: 'component' } }))).toEqual({
      kind: 'ignored',
      reason: 'slo_component',
    });
    expect(parseEvent(kitEvent({ labels: { role: 'composite' } })).kind).toBe('alert');
  });
});
