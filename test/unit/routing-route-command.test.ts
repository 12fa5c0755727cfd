import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeCommand, routeDryRun, scheduleOf } from '../../cli/route';
import { resolveConfig } from '../../domain/config';
import { encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { compileAlerting } from '../../domain/rules/alarms';
import example from '../../observability.config';

const alerting = resolveConfig(example, 'prod').alerting;
const repo = join(__dirname, '..', '..');

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const context = { cwd: repo, env: {}, out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  return { out, err, code: routeCommand.run(args, context) };
}

function alertFile(json: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'maif-route-'));
  const file = join(dir, 'alert.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('maif-obs route', () => {
  it('prints who is notified, when, and how it escalates for a critical alert at night', async () => {
    const file = alertFile({
      alertName: 'system_down',
      severity: 'critical',
      labels: { team: 'platform', service: 'maif' },
    });

    const { out, code } = run([file, '--at', '2026-11-24T22:00:00Z', '--env', 'prod']);

    expect(await code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(/^alert system_down \(critical, firing\) fingerprint [0-9a-f]{32}$/),
      'labels: team=platform service=maif',
      'at 2026-11-24T22:00:00.000Z (business hours: no)',
      "matched: rule 1 (severity == 'critical')",
      'outcome: paged',
      'notifications, each level only while nobody has acknowledged and the alert still fires:',
      '  +30s       2026-11-24T22:00:30.000Z  notify -> pagerduty, slack',
      '  +15m30s    2026-11-24T22:15:30.000Z  escalate to on_call_manager -> pagerduty, email',
      '  +30m30s    2026-11-24T22:30:30.000Z  repeat 1: on_call_manager -> pagerduty, email',
      '  +45m30s    2026-11-24T22:45:30.000Z  repeat 2: on_call_manager -> pagerduty, email',
    ]);
  });

  it('reads an EventBridge alarm event as the router receives it', () => {
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: {
        alarmName: 'maif-prod-high_latency',
        state: { value: 'ALARM', timestamp: '2026-11-24T10:00:00Z' },
        configuration: {
          description: encodeAlarmDescription('slow', {
            rule: 'high_latency',
            severity: 'warning',
            labels: { team: 'platform' },
          }),
        },
      },
    };

    // the stack's own alarm: the dry run trusts its metadata, as the deployed router does
    const report = routeDryRun(event, Date.parse('2026-11-24T10:00:00Z'), alerting, ['maif-prod-high_latency']);

    expect(report.alert.alertName).toBe('high_latency');
    expect(report.matchedRules.map((r) => r.index)).toEqual([1]);
    expect(report.schedule.map((s) => [s.afterSeconds, s.channels])).toEqual([
      [30, ['slack']],
      [3630, ['email', 'slack']],
      [7230, ['email', 'slack']],
      [10830, ['email', 'slack']],
    ]);
  });

  it('trusts, on the command line, the metadata of an alarm the configuration compiles, and only that', async () => {
    const spec = compileAlerting(resolveConfig(example, 'prod')).specs.find((s) => s.severity === 'critical');
    const event = (alarmName: string) => ({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: {
        alarmName,
        state: { value: 'ALARM', timestamp: '2026-11-24T22:00:00Z' },
        configuration: { description: spec?.description },
      },
    });

    const own = run([alertFile(event(spec?.alarmName ?? '')), '--at', '2026-11-24T22:00:00Z', '--env', 'prod']);
    const copy = run([alertFile(event('copied-alarm')), '--at', '2026-11-24T22:00:00Z', '--env', 'prod']);

    expect(await own.code).toBe(0);
    expect(own.out[0]).toMatch(new RegExp(`^alert ${spec?.ruleName} \\(critical, firing\\)`));
    expect(await copy.code).toBe(0);
    expect(copy.out[0]).toMatch(/^alert copied-alarm \(warning, firing\)/);
  });

  it('reads an alarm the stack did not create as a foreign alert, whatever its description says', () => {
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      resources: ['arn:aws:cloudwatch:eu-west-3:210987654321:alarm:maif-prod-system_down-copy'],
      detail: {
        alarmName: 'maif-prod-system_down-copy',
        state: { value: 'ALARM', timestamp: '2026-11-24T10:00:00Z' },
        configuration: {
          description: encodeAlarmDescription('call me', { rule: 'system_down', severity: 'critical', labels: {} }),
        },
      },
    };

    const report = routeDryRun(event, Date.parse('2026-11-24T10:00:00Z'), alerting, ['maif-prod-system_down']);

    expect(report.alert).toMatchObject({
      alertName: 'maif-prod-system_down-copy',
      severity: 'warning',
      labels: { foreign: 'true', account: '210987654321', region: 'eu-west-3' },
    });
  });

  it('says nobody is notified when no rule routes the alert', () => {
    const report = routeDryRun({ alertName: 'x', severity: 'info' }, Date.parse('2026-11-24T10:00:00Z'), alerting);

    expect(report.outcome).toBe('unrouted');
    expect(report.schedule).toEqual([]);
  });

  it('builds a timeline from cumulative delays and repeats only the escalation levels', () => {
    const levels = [
      { name: 'notify', channels: ['a'], delaySeconds: 0 },
      { name: 'l1', channels: ['b'], delaySeconds: 60 },
      { name: 'l2', channels: ['c'], delaySeconds: 120 },
    ];

    expect(scheduleOf(levels, 1, 0).map((s) => [s.name, s.afterSeconds, s.pass])).toEqual([
      ['notify', 0, 0],
      ['l1', 60, 0],
      ['l2', 180, 0],
      ['l1', 240, 1],
      ['l2', 360, 1],
    ]);
  });

  it('rejects a time it cannot read, naming the option and the format', async () => {
    const file = alertFile({ alertName: 'x', severity: 'info' });

    await expect(run([file, '--at', 'tomorrow']).code).rejects.toThrow(
      "--at: 'tomorrow' is not a time (use ISO 8601, e.g. 2026-11-24T22:00:00Z)",
    );
  });

  it('rejects an alert with an unknown severity', () => {
    expect(() => routeDryRun({ alertName: 'x', severity: 'high' }, 0, alerting)).toThrow(
      'ALERT.json: severity "high" is not one of critical, warning, info',
    );
  });
});
