/**
 * The scenario file of `maif-obs replay` (sandbox/replay-scenario.ts): every problem is reported,
 * one per line, naming the field, the value and what is allowed; every valid scenario parses to
 * what it says.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { noticeLine, parseReplayArgs, readScenario } from '../../cli/replay';
import { MAX_DURATION_S, parseScenario } from '../../sandbox/replay-scenario';

const ROOT = resolve(__dirname, '../..');

const valid = {
  duration: 3600,
  alerts: [
    { name: 'system_down', labels: { service: 'maif', severity: 'critical' }, fire: 180, resolve: 1330 },
    { name: 'high_latency', labels: { service: 'maif' }, fire: 200 },
  ],
  silences: [{ matchers: { alertname: 'high_latency' }, start: 0, end: 600 }],
  acks: [{ name: 'system_down', at: 900 }],
};

/** The problems parseScenario reports for `input`, one per line ([] when it parses). */
function problems(input: unknown): string[] {
  try {
    parseScenario(input);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n');
  }
}

describe('parseScenario', () => {
  it('reads a scenario: severity from the field, else labels.severity, else warning', () => {
    const s = parseScenario({ ...valid, start: '2026-11-24T10:00:00Z' });
    expect(s.startMs).toBe(Date.parse('2026-11-24T10:00:00Z'));
    expect(s.duration).toBe(3600);
    expect(s.alerts.map((a) => [a.name, a.severity, a.fire, a.resolve])).toEqual([
      ['system_down', 'critical', 180, 1330],
      ['high_latency', 'warning', 200, undefined],
    ]);
    expect(
      parseScenario({ ...valid, alerts: [{ ...valid.alerts[1], severity: 'info' }], acks: [] }).alerts[0].severity,
    ).toBe('info');
    expect(s.silences).toEqual([{ matchers: { alertname: 'high_latency' }, start: 0, end: 600 }]);
    expect(s.acks).toEqual([{ name: 'system_down', at: 900 }]);
    // silences and acks may be left out
    expect(parseScenario({ duration: 60, alerts: [{ name: 'a', fire: 0 }] })).toEqual({
      duration: 60,
      alerts: [{ name: 'a', labels: {}, severity: 'warning', fire: 0 }],
      silences: [],
      acks: [],
    });
  });

  it.each([
    [[], ['scenario: [] is not allowed (a JSON object with duration, alerts, silences and acks)']],
    [{ ...valid, duration: 0 }, [`duration: 0 is not allowed (seconds, 1 to ${MAX_DURATION_S})`]],
    [{ ...valid, duration: '1h' }, [`duration: '1h' is not allowed (seconds, 1 to ${MAX_DURATION_S})`]],
    [
      { ...valid, start: 'tomorrow' },
      ["start: 'tomorrow' is not allowed (an ISO 8601 time, e.g. 2026-11-24T22:00:00Z)"],
    ],
    [{ ...valid, extra: 1 }, ['extra: is not a field (allowed: start, duration, alerts, silences, acks)']],
    [{ ...valid, alerts: [], acks: [] }, ['alerts: [] is not allowed (a list of 1 to 500 items)']],
    [
      { ...valid, alerts: [{ ...valid.alerts[0], fire: 4000 }] },
      ['alerts[0].fire: 4000 is not allowed (seconds from the start, 0 to the duration, 3600)'],
    ],
    [
      { ...valid, alerts: [{ ...valid.alerts[0], resolve: 100 }] },
      ['alerts[0].resolve: 100 is not allowed (after fire 180, or absent: still firing at the end)'],
    ],
    [
      { ...valid, alerts: [{ ...valid.alerts[0], severity: 'page' }] },
      ["alerts[0].severity: 'page' is not allowed (one of critical, warning, info)"],
    ],
    [
      { ...valid, alerts: [{ name: 'x', labels: { severity: 'high' }, fire: 0 }], acks: [] },
      ["alerts[0].labels.severity: 'high' is not allowed (one of critical, warning, info, or give severity)"],
    ],
    [
      { ...valid, alerts: [{ name: 'x', labels: { team: 7 }, fire: 0 }], acks: [] },
      ['alerts[0].labels.team: 7 is not allowed (a string of at most 256 characters)'],
    ],
    [
      { ...valid, alerts: [{ name: 'x', labels: { 'bad-name': 'v' }, fire: 0 }], acks: [] },
      ["alerts[0].labels: label name 'bad-name' is not allowed (letters, digits, _ and .)"],
    ],
    [
      { ...valid, alerts: [{ name: '', fire: 0, at: 3 }], acks: [] },
      [
        'alerts[0].at: is not a field (allowed: name, labels, severity, fire, resolve)',
        "alerts[0].name: '' is not allowed (a non-empty name of at most 256 characters)",
      ],
    ],
    [
      {
        ...valid,
        alerts: [
          { name: 'x', fire: 0, resolve: 100 },
          { name: 'x', fire: 50 },
        ],
        acks: [],
      },
      [
        'alerts[1].fire: 50 is not allowed (the same name and labels fire from 0 to 100 already; fire again after it resolves)',
      ],
    ],
    [
      { ...valid, silences: [{ matchers: {}, start: 0, end: 10 }] },
      ['silences[0].matchers: {} is not allowed (an object of label name to value, at least one)'],
    ],
    [
      { ...valid, silences: [{ matchers: { alertname: 'x' }, start: 100, end: 50 }] },
      ['silences[0].end: 50 is not allowed (after start 100)'],
    ],
    [
      { ...valid, silences: [{ matchers: { alertname: 'x' }, start: 0, end: 40 * 86_400 }] },
      ['silences[0].end: 3456000 is not allowed (seconds from the start, after start and at most 30 days after it)'],
    ],
    [
      { ...valid, acks: [{ name: 'nobody', at: 10 }] },
      ["acks[0].name: 'nobody' is not allowed (the name of an alert of the scenario: system_down, high_latency)"],
    ],
    [
      { ...valid, acks: [{ name: 'system_down', at: -1 }] },
      ['acks[0].at: -1 is not allowed (seconds from the start, 0 to the duration, 3600)'],
    ],
  ])('names the field, the value and what is allowed: %j', (input, expected) => {
    expect(problems(input)).toEqual(expected);
  });

  it('reports every problem, one per line', () => {
    expect(
      problems({ duration: -5, alerts: [{ name: 3, fire: 'soon' }], acks: [{ name: 'x', at: 1 }], silences: 'no' }),
    ).toEqual([
      `duration: -5 is not allowed (seconds, 1 to ${MAX_DURATION_S})`,
      `alerts[0].name: 3 is not allowed (a non-empty name of at most 256 characters)`,
      `alerts[0].fire: 'soon' is not allowed (seconds from the start, 0 to ${MAX_DURATION_S})`,
      "silences: 'no' is not allowed (a list of 0 to 500 items)",
      "acks[0].name: 'x' is not allowed (the name of an alert of the scenario: none is valid)",
    ]);
  });

  /** A valid scenario: times within its duration, resolutions after firings, acks naming its alerts. */
  const scenarios = fc.integer({ min: 1, max: MAX_DURATION_S }).chain((duration) => {
    const time = fc.double({ min: 0, max: duration, noNaN: true });
    const name = fc.stringMatching(/^[a-z_]{1,20}$/);
    const labels = fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.string({ maxLength: 20 }), {
      maxKeys: 4,
    });
    const alert = fc
      .record({ name, labels, severity: fc.constantFrom('critical', 'warning', 'info', undefined), fire: time })
      .chain((a) =>
        fc.option(fc.double({ min: a.fire, max: duration, noNaN: true }), { nil: undefined }).map((resolve) => ({
          name: a.name,
          labels: Object.fromEntries(Object.entries(a.labels).filter(([k]) => k !== 'severity')),
          fire: a.fire,
          ...(a.severity === undefined ? {} : { severity: a.severity }),
          ...(resolve === undefined || resolve <= a.fire ? {} : { resolve }),
        })),
      );
    // one alert per name: the same name and labels may not fire twice at once
    const alerts = fc.uniqueArray(alert, { minLength: 1, maxLength: 8, selector: (a) => a.name });
    return alerts.chain((list) =>
      fc.record({
        duration: fc.constant(duration),
        alerts: fc.constant(list),
        silences: fc.array(
          fc.record({ matchers: fc.constant({ alertname: list[0].name }), start: time }).chain((s) =>
            fc
              .double({ min: s.start, max: s.start + 86_400, noNaN: true })
              .filter((end) => end > s.start)
              .map((end) => ({ ...s, end })),
          ),
          { maxLength: 3 },
        ),
        acks: fc.array(fc.record({ name: fc.constantFrom(...list.map((a) => a.name)), at: time }), { maxLength: 3 }),
      }),
    );
  });

  it('parses every valid scenario to what it says (fast-check)', () => {
    fc.assert(
      fc.property(scenarios, (generated) => {
        // as read from a file (JSON has no -0)
        const input = JSON.parse(JSON.stringify(generated)) as typeof generated;
        const parsed = parseScenario(input);
        expect(parsed.duration).toBe(input.duration);
        expect(parsed.alerts.map((a) => [a.name, a.fire, a.resolve])).toEqual(
          input.alerts.map((a) => [a.name, a.fire, a.resolve]),
        );
        for (const [i, a] of parsed.alerts.entries()) {
          expect(a.severity).toBe((input.alerts[i] as { severity?: string }).severity ?? 'warning');
        }
        expect(parsed.silences).toEqual(input.silences);
        expect(parsed.acks).toEqual(input.acks);
      }),
      { numRuns: 300 },
    );
  });
});

describe('maif-obs replay command line', () => {
  it('takes one scenario file and --config, --env, --speed', () => {
    expect(parseReplayArgs(['s.json', '--env', 'prod', '--speed', '120'])).toEqual({
      file: 's.json',
      config: undefined,
      env: 'prod',
      speed: 120,
    });
    expect(parseReplayArgs(['s.json']).speed).toBe(60);
    expect(() => parseReplayArgs([])).toThrow(/^no scenario file given \(usage: maif-obs replay SCENARIO.json/);
    expect(() => parseReplayArgs(['a.json', 'b.json'])).toThrow(/^one scenario file expected, got 2/);
    expect(() => parseReplayArgs(['s.json', '--speed', '0'])).toThrow(
      "--speed: '0' is not allowed (use a number from 1 to 3600)",
    );
    expect(() => parseReplayArgs(['s.json', '--fast'])).toThrow(/--fast.*\(options: --config, --env, --speed\)/);
  });

  it('prefixes each problem of a scenario file with the file', () => {
    expect(() => readScenario('/nonexistent/s.json')).toThrow('/nonexistent/s.json: cannot be read (ENOENT)');
    expect(() => readScenario(resolve(ROOT, 'package.json'))).toThrow(
      /package\.json: duration: missing is not allowed/,
    );
  });

  it('reads the example scenario', () => {
    const example = readScenario(resolve(ROOT, 'alerting/replay-example.json'));
    expect(example.alerts.map((a) => [a.name, a.severity])).toEqual([
      ['high_error_rate', 'warning'],
      ['system_down', 'critical'],
      ['disk_space_low', 'warning'],
    ]);
    expect(JSON.parse(readFileSync(resolve(ROOT, 'alerting/replay-example.json'), 'utf8'))).toBeDefined();
  });

  it('prints a notice as one JSON line, fields in a fixed order', () => {
    const line = noticeLine({
      members: ['a', 'b'],
      level: 0,
      kind: 'resolved',
      resolved: ['a'],
      firing: [],
      status: 'resolved',
      group: { service: 'maif' },
      channel: 'slack',
      at: 12,
    });
    expect(line).toBe(
      '{"at":12,"channel":"slack","group":{"service":"maif"},"status":"resolved","firing":[],"resolved":["a"],"kind":"resolved","level":0,"members":["a","b"]}',
    );
  });
});
