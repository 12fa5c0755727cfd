import fc from 'fast-check';
import { encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { alarmFingerprint, fingerprintOf } from '../../domain/contracts/events';
import { IntakeError, parseEvent } from '../../domain/routing/intake';

const ARN = 'arn:aws:cloudwatch:eu-west-3:123456789012:alarm:maif-prod-system_down';
/** The router's trust: this alarm is one the stack created. */
const TRUST = { trustedAlarms: new Set(['maif-prod-system_down']), foreignSeverity: 'warning' } as const;

function alarmEvent(state: string, labels: Record<string, string> = { team: 'platform' }) {
  return {
    id: 'evt-1',
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    time: '2026-11-24T10:00:00Z',
    account: '123456789012',
    region: 'eu-west-3',
    resources: [ARN],
    detail: {
      alarmName: 'maif-prod-system_down',
      state: { value: state, reason: 'Threshold Crossed', timestamp: '2026-11-24T10:00:05.000+0000' },
      configuration: {
        description: encodeAlarmDescription('System is not responding', {
          rule: 'system_down',
          severity: 'critical',
          labels,
          runbook: 'https://runbooks.example.com/down',
          service: 'maif',
          environment: 'prod',
        }),
      },
    },
  };
}

describe('alarm intake', () => {
  it('turns an ALARM state change into a firing alert with the decoded rule, severity, labels and runbook', () => {
    const intake = parseEvent(alarmEvent('ALARM'), TRUST);

    expect(intake).toEqual({
      kind: 'alert',
      alert: {
        // the identity is the alarm's ARN, never the description's rule and labels
        fingerprint: alarmFingerprint(ARN),
        alertName: 'system_down',
        status: 'firing',
        severity: 'critical',
        labels: { service: 'maif', environment: 'prod', team: 'platform' },
        annotations: {
          summary: 'System is not responding',
          description: 'Threshold Crossed',
          runbook: 'https://runbooks.example.com/down',
        },
        startsAt: '2026-11-24T10:00:05.000Z',
        stateAt: '2026-11-24T10:00:05.000Z',
        source: 'cloudwatch',
        eventId: 'evt-1',
      },
    });
  });

  it('turns OK into resolved and ignores INSUFFICIENT_DATA and SLO component alarms', () => {
    expect(parseEvent(alarmEvent('OK'), TRUST)).toMatchObject({ kind: 'alert', alert: { status: 'resolved' } });
    expect(parseEvent(alarmEvent('INSUFFICIENT_DATA'), TRUST)).toEqual({
      kind: 'ignored',
      reason: 'insufficient_data',
    });
    expect(parseEvent(alarmEvent('ALARM', { role: 'component' }), TRUST)).toEqual({
      kind: 'ignored',
      reason: 'slo_component',
    });
  });

  it('makes an alarm without the kit metadata a foreign alert named after the alarm', () => {
    const event = alarmEvent('ALARM');
    event.detail.configuration.description = 'hand-made alarm';

    expect(parseEvent(event, TRUST)).toMatchObject({
      kind: 'alert',
      alert: {
        fingerprint: alarmFingerprint(ARN),
        alertName: 'maif-prod-system_down',
        severity: 'warning',
        labels: { alarm_name: 'maif-prod-system_down', account: '123456789012', region: 'eu-west-3', foreign: 'true' },
        annotations: { summary: 'hand-made alarm' },
      },
    });
  });
});

describe('kit alert intake', () => {
  it('reads the MAIF Alert detail of the log aggregator', () => {
    const intake = parseEvent({
      id: 'k1',
      source: 'maif.observability',
      'detail-type': 'MAIF Alert',
      time: '2026-11-24T10:00:00Z',
      detail: {
        alertName: 'detect_errors',
        severity: 'warning',
        labels: { team: 'platform', service: 'maif' },
        summary: 'boom',
      },
    });

    expect(intake).toMatchObject({
      kind: 'alert',
      alert: {
        alertName: 'detect_errors',
        status: 'firing',
        severity: 'warning',
        source: 'log-aggregator',
        annotations: { summary: 'boom' },
      },
    });
  });

  it('rejects an unknown severity, naming the value and what is allowed', () => {
    expect(() =>
      parseEvent({
        id: 'k',
        source: 'maif.observability',
        'detail-type': 'MAIF Alert',
        detail: { alertName: 'a', severity: 'high' },
      }),
    ).toThrow("alert 'a': detail.severity 'high' is not one of critical, warning, info");
  });
});

describe('intake of arbitrary input', () => {
  it('either parses or throws an IntakeError, never anything else', () => {
    const shaped = fc.record({
      id: fc.oneof(fc.string(), fc.integer()),
      source: fc.constantFrom('aws.cloudwatch', 'maif.observability', 'other'),
      'detail-type': fc.constantFrom('CloudWatch Alarm State Change', 'MAIF Alert', 'x'),
      detail: fc.oneof(
        fc.anything(),
        fc.record({
          alertName: fc.anything(),
          severity: fc.anything(),
          labels: fc.anything(),
          state: fc.anything(),
          configuration: fc.anything(),
        }),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), shaped), (event) => {
        try {
          const out = parseEvent(event);
          expect(['alert', 'ignored']).toContain(out.kind);
        } catch (error) {
          expect(error).toBeInstanceOf(IntakeError);
        }
      }),
    );
  });

  it('fingerprints labels regardless of their order, in 32 hex characters', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.string()), (name, labels) => {
        const reversed = Object.fromEntries(Object.entries(labels).reverse());
        expect(fingerprintOf(name, labels)).toBe(fingerprintOf(name, reversed));
        expect(fingerprintOf(name, labels)).toMatch(/^[0-9a-f]{32}$/);
      }),
    );
  });
});
