/**
 * Silences and maintenance windows (domain/routing/silences.ts) and the business-hours calendar
 * (domain/routing/calendar.ts) at their edges: a window includes its start and excludes its end,
 * matchers are anchored, a silence without matchers silences nothing.
 */
import {
  DEFAULT_BUSINESS_HOURS,
  isBusinessHours,
  isTimeZone,
  localTime,
  minutesOf,
} from '../../domain/routing/calendar';
import {
  inMaintenance,
  matchableLabels,
  matches,
  matchesAll,
  parseMatcher,
  silencedBy,
  validateMatcher,
} from '../../domain/routing/silences';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const alert = {
  alertName: 'high_latency',
  severity: 'warning' as const,
  labels: { service: 'maif', team: 'platform' },
};
const window = (from: number, to: number) => ({
  startsAt: new Date(from).toISOString(),
  endsAt: new Date(to).toISOString(),
});

describe('matchers', () => {
  it('sees the labels plus alertname and severity, a label of that name winning', () => {
    expect(matchableLabels(alert)).toEqual({
      alertname: 'high_latency',
      severity: 'warning',
      service: 'maif',
      team: 'platform',
    });
    expect(matchableLabels({ ...alert, labels: { severity: 'custom' } }).severity).toBe('custom');
  });

  it('matches equality and anchored regular expressions, negated or not; a missing label is empty', () => {
    const labels = { service: 'maif' };

    expect(matches({ name: 'service', value: 'maif' }, labels)).toBe(true);
    expect(matches({ name: 'service', value: 'mai' }, labels)).toBe(false);
    expect(matches({ name: 'service', value: 'ma.f', isRegex: false }, labels)).toBe(false);
    expect(matches({ name: 'service', value: 'ma.f', isRegex: true }, labels)).toBe(true);
    expect(matches({ name: 'service', value: 'ai', isRegex: true }, labels)).toBe(false);
    expect(matches({ name: 'service', value: 'maif|x', isRegex: true }, { service: 'maifx' })).toBe(false);
    expect(matches({ name: 'service', value: 'maif', isEqual: false }, labels)).toBe(false);
    expect(matches({ name: 'service', value: 'x', isEqual: false }, labels)).toBe(true);
    expect(matches({ name: 'service', value: 'x', isEqual: true }, labels)).toBe(false);
    expect(matches({ name: 'zone', value: '' }, labels)).toBe(true);
    expect(matches({ name: 'zone', value: '.*', isRegex: true }, labels)).toBe(true);
    expect(matches({ name: 'zone', value: '.+', isRegex: true }, labels)).toBe(false);
  });

  it('needs every matcher of a list, and an empty list matches', () => {
    const service = { name: 'service', value: 'maif' };

    expect(matchesAll([service, { name: 'alertname', value: 'high_latency' }], alert)).toBe(true);
    expect(matchesAll([service, { name: 'severity', value: 'critical' }], alert)).toBe(false);
    expect(matchesAll([], alert)).toBe(true);
  });

  it('names what is wrong with a matcher', () => {
    expect(validateMatcher({ name: 'service', value: 'maif' })).toBeUndefined();
    expect(validateMatcher({ name: '_a1', value: '(a|b)', isRegex: true })).toBeUndefined();
    expect(validateMatcher({ name: '1abc', value: 'x' })).toBe(
      "matcher name '1abc' is not a label name (letters, digits and _)",
    );
    expect(validateMatcher({ name: 'a-b', value: 'x' })).toBe(
      "matcher name 'a-b' is not a label name (letters, digits and _)",
    );
    expect(validateMatcher({ name: 'ab ', value: 'x' })).toMatch(/^matcher name 'ab '/);
    expect(validateMatcher({ name: 7 as unknown as string, value: 'x' })).toBe(
      "matcher name '7' is not a label name (letters, digits and _)",
    );
    expect(validateMatcher({ name: ['abc'] as unknown as string, value: 'x' })).toBe(
      "matcher name 'abc' is not a label name (letters, digits and _)",
    );
    expect(validateMatcher({ name: 'a', value: 3 as unknown as string })).toBe("matcher 'a': value is not a string");
    expect(validateMatcher({ name: 'a', value: '(' })).toBeUndefined();
    expect(validateMatcher({ name: 'a', value: '(', isRegex: true })).toBe(
      "matcher 'a': '(' is not a regular expression",
    );
  });

  it('parses the four operators, quoted values and surrounding blanks', () => {
    expect(parseMatcher(' service=maif ')).toEqual({ name: 'service', value: 'maif', isRegex: false, isEqual: true });
    expect(parseMatcher('service!=maif')).toEqual({ name: 'service', value: 'maif', isRegex: false, isEqual: false });
    expect(parseMatcher('service=~m.*')).toEqual({ name: 'service', value: 'm.*', isRegex: true, isEqual: true });
    expect(parseMatcher('service!~m.*')).toEqual({ name: 'service', value: 'm.*', isRegex: true, isEqual: false });
    expect(parseMatcher('summary="a \\"b\\" c"').value).toBe('a "b" c');
    expect(parseMatcher('summary="a b"').value).toBe('a b');
    // a quoted value that is not a JSON string: its quotes are dropped
    expect(parseMatcher('summary="a\\qb"').value).toBe('a\\qb');
    expect(parseMatcher('summary="').value).toBe('"');
    expect(parseMatcher('summary="x').value).toBe('"x');
    expect(parseMatcher('summary=x"').value).toBe('x"');
    expect(parseMatcher('summary=').value).toBe('');
    expect(parseMatcher('summary=""').value).toBe('');
  });

  it('rejects what is not a matcher', () => {
    for (const bad of ['service', '=maif', '1x=maif', 'x y=1', 'a=b\nc'])
      expect(() => parseMatcher(bad)).toThrow(
        `matcher '${bad}' is not name=value, name!=value, name=~regex or name!~regex`,
      );
    expect(() => parseMatcher('a=~[')).toThrow(new RangeError("matcher 'a': '[' is not a regular expression"));
  });
});

describe('silences and maintenance windows in time', () => {
  const silence = {
    id: 's1',
    matchers: [{ name: 'service', value: 'maif' }],
    ...window(T0, T0 + 60_000),
    comment: '',
    createdBy: 'x',
  };

  it('silences from the first millisecond of the window to the last before its end', () => {
    expect(silencedBy(alert, [silence], T0 - 1)).toBeUndefined();
    expect(silencedBy(alert, [silence], T0)).toBe(silence);
    expect(silencedBy(alert, [silence], T0 + 59_999)).toBe(silence);
    expect(silencedBy(alert, [silence], T0 + 60_000)).toBeUndefined();
  });

  it('answers the first matching silence; one without matchers silences nothing', () => {
    const empty = { ...silence, id: 'empty', matchers: [] };
    const other = { ...silence, id: 'other', matchers: [{ name: 'service', value: 'search' }] };
    const second = { ...silence, id: 'second' };

    expect(silencedBy(alert, [empty, other, silence, second], T0)?.id).toBe('s1');
    expect(silencedBy(alert, [empty], T0)).toBeUndefined();
  });

  it('covers an alert with a window from its start to its end, with or without matchers', () => {
    const w = window(T0, T0 + 60_000);

    expect(inMaintenance(alert, [w], T0 - 1)).toBe(false);
    expect(inMaintenance(alert, [w], T0)).toBe(true);
    expect(inMaintenance(alert, [w], T0 + 60_000)).toBe(false);
    expect(inMaintenance(alert, [{ ...w, matchers: [{ name: 'team', value: 'platform' }] }], T0)).toBe(true);
    expect(inMaintenance(alert, [{ ...w, matchers: [{ name: 'team', value: 'data' }] }], T0)).toBe(false);
    expect(inMaintenance(alert, [{ ...w, matchers: [{ name: 'team', value: 'data' }] }, w], T0)).toBe(true);
    expect(inMaintenance(alert, [], T0)).toBe(false);
  });
});

describe('the business-hours calendar', () => {
  it('reads times of day from 00:00 to 24:00 and names the format otherwise', () => {
    expect(['00:00', '09:30', '19:59', '23:59', '24:00'].map(minutesOf)).toEqual([0, 570, 1199, 1439, 1440]);
    for (const bad of [
      '24:01',
      '9:00',
      '09:60',
      '25:00',
      '0900',
      ' 09:00',
      '09:00 ',
      'x09:00',
      '09:00x',
      '124:00',
      '24:00x',
    ])
      expect(() => minutesOf(bad)).toThrow(`'${bad}' is not a time of day (use HH:MM, 00:00 to 24:00)`);
  });

  it('knows time zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('gives the local date, weekday and minutes of an instant', () => {
    expect(localTime(Date.parse('2026-11-24T23:30:00Z'), 'Europe/Paris')).toEqual({
      date: '2026-11-25',
      weekday: 'wed',
      minutes: 30,
    });
    expect(localTime(Date.parse('2026-11-24T00:00:00Z'), 'UTC')).toEqual({
      date: '2026-11-24',
      weekday: 'tue',
      minutes: 0,
    });
  });

  it('includes the start minute and excludes the end minute, on the listed days that are not holidays', () => {
    const cal = { ...DEFAULT_BUSINESS_HOURS, holidays: ['2026-11-26'] };

    expect(isBusinessHours(Date.parse('2026-11-24T08:59:59Z'), cal)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-24T09:00:00Z'), cal)).toBe(true);
    expect(isBusinessHours(Date.parse('2026-11-24T17:59:59Z'), cal)).toBe(true);
    expect(isBusinessHours(Date.parse('2026-11-24T18:00:00Z'), cal)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-26T10:00:00Z'), cal)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-29T10:00:00Z'), cal)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-29T10:00:00Z'), { ...cal, days: ['sun'] })).toBe(true);
    expect(isBusinessHours(Date.parse('2026-11-24T23:59:00Z'), { ...cal, end: '24:00' })).toBe(true);
    // a calendar without holidays
    expect(isBusinessHours(Date.parse('2026-11-26T10:00:00Z'), { ...cal, holidays: undefined })).toBe(true);
  });
});
