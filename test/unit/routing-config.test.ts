import { ConfigError, type ObservabilityConfig, resolveConfig } from '../../domain/config';
import example from '../../observability.config';

/** The example configuration with its `alerting` section changed. */
function withAlerting(alerting: Record<string, unknown>): ObservabilityConfig {
  return { ...example, alerting: { ...example.alerting, ...alerting } } as ObservabilityConfig;
}

function problemsOf(config: ObservabilityConfig): string[] {
  try {
    resolveConfig(config, 'prod');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('alert pipeline configuration', () => {
  it('resolves the example with escalation targets, repeat, business hours, inhibition and link expiry', () => {
    const { alerting } = resolveConfig(example, 'prod');

    expect(alerting.escalationTargets.on_call_manager).toEqual({ channels: ['pagerduty', 'email'] });
    expect(alerting.repeat).toBe(2);
    expect(alerting.businessHours.timeZone).toBe('Europe/Paris');
    expect(alerting.inhibition).toEqual([
      { source: "severity == 'critical'", target: "severity == 'warning'", equal: ['service'] },
    ]);
    expect(alerting.maintenance).toEqual([]);
    expect(alerting.ackLinkExpiry).toBe('24h');
  });

  it('rejects an escalate target that is neither an escalation target nor a channel', () => {
    const routing = [{ condition: 'true', actions: [{ type: 'escalate', delay: '5m', to: 'cto' }] }];

    expect(problemsOf(withAlerting({ routing }))).toEqual([
      "alerting.routing[0].actions[0].to: 'cto' is not an escalation target of alerting.escalationTargets or a channel (allowed: on_call_manager, platform_team, email, slack, pagerduty)",
    ]);
  });

  it('rejects a rule that only escalates when alerting.escalation is false, and accepts it otherwise', () => {
    const routing = [
      { condition: "severity == 'critical'", actions: [{ type: 'escalate', delay: '5m', to: 'on_call_manager' }] },
      {
        condition: 'true',
        actions: [
          { type: 'notify', channels: ['slack'] },
          { type: 'escalate', delay: '5m', to: 'email' },
        ],
      },
    ];

    expect(problemsOf(withAlerting({ routing, escalation: false }))).toEqual([
      'alerting.routing[0].actions: has escalate actions and no notify action, so it notifies nobody while alerting.escalation is false (add a notify action, or set alerting.escalation: true)',
    ]);
    expect(resolveConfig(withAlerting({ routing }), 'prod').alerting.routing).toHaveLength(2);
  });

  it('rejects an escalation target naming an unknown channel', () => {
    const escalationTargets = { on_call_manager: { channels: ['pagerduty'] }, platform_team: { channels: ['teams'] } };

    expect(problemsOf(withAlerting({ escalationTargets }))).toEqual([
      "alerting.escalationTargets.platform_team.channels[0]: 'teams' is not a channel of alerting.channels (allowed: email, slack, pagerduty)",
    ]);
  });

  it('rejects a repeat count outside 0 to 9', () => {
    expect(problemsOf(withAlerting({ repeat: 10 }))).toEqual(['alerting.repeat: 10 is not an integer from 0 to 9']);
  });

  it('rejects an unknown time zone', () => {
    const businessHours = { ...example.alerting?.businessHours, timeZone: 'Mars/Olympus' };

    expect(problemsOf(withAlerting({ businessHours }))).toEqual([
      "alerting.businessHours.timeZone: 'Mars/Olympus' is not an IANA time zone (e.g. 'Europe/Paris', 'UTC')",
    ]);
  });

  it('rejects business hours that end before they start', () => {
    const businessHours = { ...example.alerting?.businessHours, start: '18:00', end: '09:00' };

    expect(problemsOf(withAlerting({ businessHours }))).toEqual([
      "alerting.businessHours.end: '09:00' is not after businessHours.start '18:00' (business hours end the day they start)",
    ]);
  });

  it('rejects a time of day that is not HH:MM and a holiday that is not a date', () => {
    const businessHours = { ...example.alerting?.businessHours, start: '9am', holidays: ['25/12'] };

    expect(problemsOf(withAlerting({ businessHours }))).toEqual([
      "alerting.businessHours.start: '9am' is not a time of day ('09:00')",
      "alerting.businessHours.holidays[0]: '25/12' is not a date ('2026-12-25')",
    ]);
  });

  it('rejects an inhibition rule whose source does not parse', () => {
    const inhibition = [{ source: "severity = 'critical'", target: "severity == 'warning'" }];

    expect(problemsOf(withAlerting({ inhibition }))[0]).toMatch(
      /^alerting\.inhibition\[0\]\.source: "severity = 'critical'" is not a valid expression/,
    );
  });

  it('rejects a maintenance window that ends before it starts', () => {
    const maintenance = [{ name: 'upgrade', startsAt: '2026-12-02T02:00:00Z', endsAt: '2026-12-01T22:00:00Z' }];

    expect(problemsOf(withAlerting({ maintenance }))).toEqual([
      "alerting.maintenance[0].endsAt: '2026-12-01T22:00:00Z' is not after startsAt '2026-12-02T02:00:00Z'",
    ]);
  });

  it('rejects a maintenance time that is not ISO 8601', () => {
    const maintenance = [{ name: 'upgrade', startsAt: 'tonight', endsAt: '2026-12-01T22:00:00Z' }];

    expect(problemsOf(withAlerting({ maintenance }))).toEqual([
      "alerting.maintenance[0].startsAt: 'tonight' is not an ISO 8601 time ('2026-12-01T22:00:00Z')",
    ]);
  });
});
