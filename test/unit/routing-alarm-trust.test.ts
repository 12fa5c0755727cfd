/**
 * Which alarms the router believes (domain/routing/alarm-trust.ts) and the identity of an alarm's
 * alert (its ARN): the ARN from the event, signed metadata, foreign alarms, and the state time
 * and sequence intake reads for ordering.
 */
import { type AlarmMetadata, encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { alarmArn, alarmFingerprint } from '../../domain/contracts/events';
import {
  type AlarmTrust,
  alarmSignature,
  canonicalAlarmMetadata,
  signAlarmMetadata,
  verifyAlarmSignature,
} from '../../domain/routing/alarm-trust';
import { IntakeError, needsSigningKey, parseEvent } from '../../domain/routing/intake';

const KEY = 'k'.repeat(64);
const GENUINE: AlarmMetadata = {
  rule: 'system_down',
  severity: 'critical',
  labels: { team: 'platform', service: 'maif' },
  runbook: 'https://runbooks.example.com/down',
  service: 'maif',
  environment: 'prod',
};
const trust = (signingKey?: string): AlarmTrust => ({
  trustedAlarms: new Set(['maif-prod-system_down']),
  foreignSeverity: 'info',
  ...(signingKey === undefined ? {} : { signingKey }),
});

function alarmEvent(alarmName: string, description: string, top: Record<string, unknown> = {}) {
  return {
    id: `evt-${alarmName}`,
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    time: '2026-11-24T10:00:00Z',
    account: '123456789012',
    region: 'eu-west-3',
    resources: [`arn:aws:cloudwatch:eu-west-3:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-24T10:00:05.123+0000' },
      configuration: {
        description,
        metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'Team/Billing', name: 'Errors' } } }],
      },
    },
    ...top,
  };
}

const alertOf = (event: unknown, t: AlarmTrust) => {
  const out = parseEvent(event, t);
  if (out.kind !== 'alert') throw new Error(`not an alert: ${JSON.stringify(out)}`);
  return out.alert;
};

describe('the alarm ARN and the alert identity', () => {
  it('takes the ARN from resources[0]', () => {
    const arn = 'arn:aws:cloudwatch:eu-west-3:123456789012:alarm:maif-prod-system_down';
    expect(alarmArn({ resources: [arn], account: '999999999999', region: 'us-east-1', alarmName: 'x' })).toBe(arn);
  });

  it('builds it from account, region and alarm name when resources is empty or holds no alarm ARN', () => {
    const expected = 'arn:aws:cloudwatch:eu-west-3:123456789012:alarm:maif-prod-system_down';
    const fields = { account: '123456789012', region: 'eu-west-3', alarmName: 'maif-prod-system_down' };

    expect(alarmArn({ resources: [], ...fields })).toBe(expected);
    expect(alarmArn({ ...fields })).toBe(expected);
    expect(alarmArn({ resources: ['arn:aws:sns:eu-west-3:123456789012:topic'], ...fields })).toBe(expected);
  });

  it('has no ARN without a 12-digit account and a region', () => {
    expect(alarmArn({ resources: [], region: 'eu-west-3', alarmName: 'a' })).toBeUndefined();
    expect(alarmArn({ resources: [], account: '12', region: 'eu-west-3', alarmName: 'a' })).toBeUndefined();
    expect(alarmArn({ resources: [], account: '123456789012', region: 'moon', alarmName: 'a' })).toBeUndefined();
    expect(() => parseEvent({ ...alarmEvent('a', 'x'), resources: [], account: undefined }, trust())).toThrow(
      IntakeError,
    );
    expect(() => parseEvent({ ...alarmEvent('a', 'x'), resources: [], account: undefined }, trust())).toThrow(
      "alarm 'a': no alarm ARN",
    );
  });

  it('gives each account, region and alarm name its own fingerprint, in 32 hex characters', () => {
    const arns = [
      'arn:aws:cloudwatch:eu-west-3:123456789012:alarm:a',
      'arn:aws:cloudwatch:eu-west-3:123456789013:alarm:a',
      'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a',
      'arn:aws:cloudwatch:eu-west-3:123456789012:alarm:b',
    ];
    const fingerprints = arns.map(alarmFingerprint);

    expect(new Set(fingerprints).size).toBe(4);
    for (const fp of fingerprints) expect(fp).toMatch(/^[0-9a-f]{32}$/);
  });

  it('identifies the alert by the ARN, whether from resources or built, never by the description', () => {
    const built = alertOf({ ...alarmEvent('maif-prod-system_down', 'x'), resources: [] }, trust());
    const given = alertOf(alarmEvent('maif-prod-system_down', encodeAlarmDescription('t', GENUINE)), trust());

    expect(built.fingerprint).toBe(
      alarmFingerprint('arn:aws:cloudwatch:eu-west-3:123456789012:alarm:maif-prod-system_down'),
    );
    expect(given.fingerprint).toBe(built.fingerprint);
  });
});

describe('trusted and foreign alarms', () => {
  it("believes the metadata of the stack's own alarm", () => {
    const alert = alertOf(alarmEvent('maif-prod-system_down', encodeAlarmDescription('down', GENUINE)), trust());

    expect(alert).toMatchObject({
      alertName: 'system_down',
      severity: 'critical',
      labels: { team: 'platform', service: 'maif', environment: 'prod' },
      annotations: { summary: 'down', runbook: 'https://runbooks.example.com/down' },
    });
  });

  it('makes a copied metadata block on another alarm a foreign alert: its own name, the foreign severity, no runbook', () => {
    const forged = alarmEvent('maif-prod-system_down-2', encodeAlarmDescription('Call +1 555 0100 now', GENUINE));

    const alert = alertOf(forged, trust());

    expect(alert).toEqual({
      fingerprint: alarmFingerprint('arn:aws:cloudwatch:eu-west-3:123456789012:alarm:maif-prod-system_down-2'),
      alertName: 'maif-prod-system_down-2',
      status: 'firing',
      severity: 'info',
      labels: {
        alarm_name: 'maif-prod-system_down-2',
        namespace: 'Team/Billing',
        account: '123456789012',
        region: 'eu-west-3',
        foreign: 'true',
      },
      annotations: { summary: 'Call +1 555 0100 now', description: 'Threshold Crossed' },
      startsAt: '2026-11-24T10:00:05.123Z',
      stateAt: '2026-11-24T10:00:05.123Z',
      source: 'cloudwatch',
      eventId: 'evt-maif-prod-system_down-2',
    });
  });

  it('never ignores a foreign alarm as an SLO component on the word of its description', () => {
    const meta = { ...GENUINE, labels: { role: 'component' } };
    const out = parseEvent(alarmEvent('someone-else', encodeAlarmDescription('x', meta)), trust());

    expect(out).toMatchObject({ kind: 'alert', alert: { alertName: 'someone-else', labels: { foreign: 'true' } } });
  });

  it('summarises a foreign alarm without description by its name and state, with no namespace when it has no metric', () => {
    const event = alarmEvent('composite-x', '');
    const alert = alertOf({ ...event, detail: { ...event.detail, configuration: {} } }, trust());

    expect(alert.annotations.summary).toBe('alarm composite-x is ALARM');
    expect(alert.labels).toEqual({
      alarm_name: 'composite-x',
      account: '123456789012',
      region: 'eu-west-3',
      foreign: 'true',
    });
  });
});

describe('signed metadata (HMAC-SHA256 over the alarm name and the canonical metadata)', () => {
  const signed = signAlarmMetadata('team-billing-errors', GENUINE, KEY);

  it('verifies a valid signature, whatever the order of the labels', () => {
    const reordered = { ...signed, labels: { service: 'maif', team: 'platform' } };

    expect(verifyAlarmSignature('team-billing-errors', signed, KEY)).toBe(true);
    expect(verifyAlarmSignature('team-billing-errors', reordered, KEY)).toBe(true);
    expect(canonicalAlarmMetadata('a', reordered)).toBe(canonicalAlarmMetadata('a', GENUINE));
  });

  it('rejects a changed severity, runbook or label, another alarm name, another key, no key and no signature', () => {
    expect(verifyAlarmSignature('team-billing-errors', { ...signed, severity: 'info' }, KEY)).toBe(false);
    expect(verifyAlarmSignature('team-billing-errors', { ...signed, runbook: 'https://evil.example' }, KEY)).toBe(
      false,
    );
    expect(verifyAlarmSignature('team-billing-errors', { ...signed, labels: { team: 'x' } }, KEY)).toBe(false);
    expect(verifyAlarmSignature('other-alarm', signed, KEY)).toBe(false);
    expect(verifyAlarmSignature('team-billing-errors', signed, 'another key')).toBe(false);
    expect(verifyAlarmSignature('team-billing-errors', signed, undefined)).toBe(false);
    expect(verifyAlarmSignature('team-billing-errors', { ...GENUINE }, KEY)).toBe(false);
    expect(verifyAlarmSignature('team-billing-errors', { ...signed, sig: 'short' }, KEY)).toBe(false);
  });

  it('pages a validly signed alarm with its metadata; an invalid or missing signature makes it foreign', () => {
    const valid = alarmEvent('team-billing-errors', encodeAlarmDescription('billing down', signed));
    const invalid = alarmEvent(
      'team-billing-errors',
      encodeAlarmDescription('billing down', { ...signed, sig: alarmSignature('team-billing-errors', GENUINE, 'x') }),
    );
    const missing = alarmEvent('team-billing-errors', encodeAlarmDescription('billing down', GENUINE));

    expect(alertOf(valid, trust(KEY))).toMatchObject({ alertName: 'system_down', severity: 'critical' });
    expect(alertOf(valid, trust())).toMatchObject({ alertName: 'team-billing-errors', severity: 'info' });
    expect(alertOf(invalid, trust(KEY))).toMatchObject({ alertName: 'team-billing-errors', severity: 'info' });
    expect(alertOf(missing, trust(KEY))).toMatchObject({ alertName: 'team-billing-errors', severity: 'info' });
    expect(alertOf(invalid, trust(KEY)).annotations.runbook).toBeUndefined();
  });

  it('asks for the key only for a signed alarm that is not one of the stack', () => {
    expect(needsSigningKey(alarmEvent('team-billing-errors', encodeAlarmDescription('x', signed)), trust())).toBe(true);
    expect(needsSigningKey(alarmEvent('team-billing-errors', encodeAlarmDescription('x', GENUINE)), trust())).toBe(
      false,
    );
    expect(needsSigningKey(alarmEvent('maif-prod-system_down', encodeAlarmDescription('x', signed)), trust())).toBe(
      false,
    );
    expect(needsSigningKey({ source: 'maif.observability', detail: {} }, trust())).toBe(false);
  });
});

describe('the state time that orders events', () => {
  it("reads CloudWatch's state timestamp, else the event time", () => {
    const event = alarmEvent('maif-prod-system_down', encodeAlarmDescription('x', GENUINE));
    const withoutState = { ...event, detail: { ...event.detail, state: { value: 'ALARM' } } };

    expect(alertOf(event, trust()).stateAt).toBe('2026-11-24T10:00:05.123Z');
    expect(alertOf(withoutState, trust()).stateAt).toBe('2026-11-24T10:00:00.000Z');
  });

  it("reads a kit alert's own timestamp and sequence, else its event time", () => {
    const kit = (detail: Record<string, unknown>) =>
      alertOf(
        {
          id: 'k',
          source: 'maif.observability',
          'detail-type': 'MAIF Alert',
          time: '2026-11-24T10:00:00Z',
          detail: { alertName: 'detect_errors', severity: 'warning', ...detail },
        },
        trust(),
      );

    expect(kit({ timestamp: '2026-11-24T10:00:00.250Z', sequence: 7 })).toMatchObject({
      stateAt: '2026-11-24T10:00:00.250Z',
      sequence: 7,
    });
    expect(kit({}).stateAt).toBe('2026-11-24T10:00:00.000Z');
    expect(kit({ sequence: 1.5 }).sequence).toBeUndefined();
  });
});
