/**
 * The scenario file of `maif-obs replay`: a timed incident, in seconds from its start.
 *
 *   {
 *     "start": "2026-11-24T22:00:00Z",          optional: the simulated start (business hours follow it)
 *     "duration": 3600,
 *     "alerts": [{ "name": "system_down", "labels": { "service": "maif" }, "severity": "critical",
 *                  "fire": 180, "resolve": 1330 }],
 *     "silences": [{ "matchers": { "alertname": "high_latency" }, "start": 0, "end": 600 }],
 *     "acks": [{ "name": "system_down", "at": 900 }]
 *   }
 *
 * An alert without `resolve` is still firing at the end; its severity defaults to
 * `labels.severity`, else `warning`. A silence's matchers are exact label values (`alertname` is
 * the alert's name). An acknowledgement names an alert; it acknowledges every alert of that
 * name. parseScenario checks everything and reports every problem, one per line, each naming
 * the field, the value received and what is allowed.
 */
import { isSeverity, SEVERITIES, type Severity } from '../domain/contracts/severity';
import { isRecord } from '../domain/records';
import { MATCHER_NAME_RE, MAX_MATCHER_VALUE_CHARS, MAX_WINDOW_SECONDS } from '../lambdas/ack-api/validate';

/** The longest scenario: a week of simulated time. */
export const MAX_DURATION_S = 7 * 24 * 3600;
/** At most this many alerts, silences and acknowledgements each (a replay is an incident, not a load test). */
export const MAX_ITEMS = 500;
const MAX_NAME_CHARS = 256;

export interface ReplayAlert {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly severity: Severity;
  /** Seconds from the start. */
  readonly fire: number;
  /** Seconds from the start; absent: still firing at the end. */
  readonly resolve?: number;
}

export interface ReplaySilence {
  /** Label name -> exact value; `alertname` is the alert's name. */
  readonly matchers: Readonly<Record<string, string>>;
  readonly start: number;
  readonly end: number;
}

export interface ReplayAck {
  readonly name: string;
  readonly at: number;
}

export interface ReplayScenario {
  /** The simulated start, epoch ms; absent: now. */
  readonly startMs?: number;
  readonly duration: number;
  readonly alerts: readonly ReplayAlert[];
  readonly silences: readonly ReplaySilence[];
  readonly acks: readonly ReplayAck[];
}

const TOP_FIELDS = ['start', 'duration', 'alerts', 'silences', 'acks'];
const ALERT_FIELDS = ['name', 'labels', 'severity', 'fire', 'resolve'];
const SILENCE_FIELDS = ['matchers', 'start', 'end'];
const ACK_FIELDS = ['name', 'at'];

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** Collects the problems of one scenario; each reader returns undefined where the value is wrong. */
class Problems {
  readonly lines: string[] = [];

  add(field: string, value: unknown, allowed: string): undefined {
    this.lines.push(`${field}: ${value === undefined ? 'missing' : show(value)} is not allowed (${allowed})`);
    return undefined;
  }

  unknownFields(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.lines.push(`${field}${field ? '.' : ''}${key}: is not a field (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  /** A finite number of seconds from `min` to `max`; `allowed` says so in the message. */
  seconds(field: string, value: unknown, min: number, max: number, allowed: string): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return this.add(field, value, allowed);
    }
    return value;
  }

  name(field: string, value: unknown): string | undefined {
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME_CHARS) {
      return this.add(field, value, `a non-empty name of at most ${MAX_NAME_CHARS} characters`);
    }
    return value;
  }

  /** An object of label name -> string value. */
  labels(field: string, value: unknown, required: boolean): Record<string, string> | undefined {
    if (value === undefined && !required) return {};
    if (!isRecord(value) || (required && Object.keys(value).length === 0)) {
      return this.add(field, value, `an object of label name to value${required ? ', at least one' : ''}`);
    }
    const entries: [string, string][] = [];
    let ok = true;
    for (const [name, v] of Object.entries(value)) {
      if (!MATCHER_NAME_RE.test(name)) {
        ok = false;
        this.lines.push(`${field}: label name ${show(name)} is not allowed (letters, digits, _ and .)`);
      } else if (typeof v !== 'string' || v.length > MAX_MATCHER_VALUE_CHARS) {
        ok = false;
        this.add(`${field}.${name}`, v, `a string of at most ${MAX_MATCHER_VALUE_CHARS} characters`);
      } else entries.push([name, v]);
    }
    // fromEntries defines each label as data, a '__proto__' label included
    return ok ? Object.fromEntries(entries) : undefined;
  }

  list(field: string, value: unknown, required: boolean): unknown[] | undefined {
    if (value === undefined && !required) return [];
    if (!Array.isArray(value) || value.length > MAX_ITEMS || (required && value.length === 0)) {
      return this.add(field, value, `a list of ${required ? 1 : 0} to ${MAX_ITEMS} items`);
    }
    return value;
  }
}

/** The scenario, or an Error listing every problem, one per line. */
export function parseScenario(input: unknown): ReplayScenario {
  const p = new Problems();
  if (!isRecord(input)) {
    p.add('scenario', input, 'a JSON object with duration, alerts, silences and acks');
    throw new Error(p.lines.join('\n'));
  }
  p.unknownFields('', input, TOP_FIELDS);
  let startMs: number | undefined;
  if (input.start !== undefined) {
    const ms =
      typeof input.start === 'string' && /^\d{4}-\d\d-\d\dT/.test(input.start) ? Date.parse(input.start) : Number.NaN;
    if (Number.isFinite(ms)) startMs = ms;
    else p.add('start', input.start, 'an ISO 8601 time, e.g. 2026-11-24T22:00:00Z');
  }
  const duration = p.seconds('duration', input.duration, 1, MAX_DURATION_S, `seconds, 1 to ${MAX_DURATION_S}`);
  const end = duration ?? MAX_DURATION_S;
  const within = `seconds from the start, 0 to ${duration === undefined ? MAX_DURATION_S : `the duration, ${duration}`}`;
  const alerts = alertsOf(p, input.alerts, end, within);
  const silences = silencesOf(p, input.silences, end, within);
  // an acknowledgement may name any alert the file declares, even one with another problem
  const declared = Array.isArray(input.alerts)
    ? input.alerts.flatMap((a) => (isRecord(a) && typeof a.name === 'string' ? [a.name] : []))
    : [];
  const acks = acksOf(p, input.acks, end, within, declared);
  if (p.lines.length > 0 || duration === undefined) throw new Error(p.lines.join('\n'));
  return { ...(startMs === undefined ? {} : { startMs }), duration, alerts, silences, acks };
}

function alertsOf(p: Problems, value: unknown, end: number, within: string): ReplayAlert[] {
  const alerts: ReplayAlert[] = [];
  for (const [i, raw] of (p.list('alerts', value, true) ?? []).entries()) {
    const at = `alerts[${i}]`;
    if (!isRecord(raw)) {
      p.add(at, raw, 'an object { name, labels, severity?, fire, resolve? }');
      continue;
    }
    p.unknownFields(at, raw, ALERT_FIELDS);
    const name = p.name(`${at}.name`, raw.name);
    const labels = p.labels(`${at}.labels`, raw.labels, false);
    const severity = severityOf(p, at, raw.severity, labels);
    const fire = p.seconds(`${at}.fire`, raw.fire, 0, end, within);
    const resolve = raw.resolve === undefined ? undefined : p.seconds(`${at}.resolve`, raw.resolve, 0, end, within);
    if (fire !== undefined && resolve !== undefined && resolve <= fire) {
      p.add(`${at}.resolve`, resolve, `after fire ${fire}, or absent: still firing at the end`);
      continue;
    }
    if (name === undefined || labels === undefined || severity === undefined || fire === undefined) continue;
    if (raw.resolve !== undefined && resolve === undefined) continue;
    alerts.push({ name, labels, severity, fire, ...(resolve === undefined ? {} : { resolve }) });
  }
  overlaps(p, alerts, end);
  return alerts;
}

/** `severity`, else `labels.severity`, else warning. */
function severityOf(
  p: Problems,
  at: string,
  value: unknown,
  labels: Record<string, string> | undefined,
): Severity | undefined {
  if (value !== undefined) {
    return isSeverity(value) ? value : p.add(`${at}.severity`, value, `one of ${SEVERITIES.join(', ')}`);
  }
  const fromLabels = labels?.severity;
  if (fromLabels === undefined) return 'warning';
  return isSeverity(fromLabels)
    ? fromLabels
    : p.add(`${at}.labels.severity`, fromLabels, `one of ${SEVERITIES.join(', ')}, or give severity`);
}

/** The same alert (name and labels) may fire again only after it resolved. */
function overlaps(p: Problems, alerts: readonly ReplayAlert[], end: number): void {
  const key = (a: ReplayAlert) =>
    JSON.stringify([a.name, Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))]);
  const seen = new Map<string, { index: number; from: number; to: number }[]>();
  alerts.forEach((a, index) => {
    const windows = seen.get(key(a)) ?? [];
    const to = a.resolve ?? end + 1;
    const clash = windows.find((w) => a.fire < w.to && w.from < to);
    if (clash) {
      const other = alerts[clash.index];
      p.add(
        `alerts[${index}].fire`,
        a.fire,
        `the same name and labels fire from ${other.fire} to ${other.resolve ?? 'the end'} already; fire again after it resolves`,
      );
    }
    windows.push({ index, from: a.fire, to });
    seen.set(key(a), windows);
  });
}

function silencesOf(p: Problems, value: unknown, end: number, within: string): ReplaySilence[] {
  const silences: ReplaySilence[] = [];
  for (const [i, raw] of (p.list('silences', value, false) ?? []).entries()) {
    const at = `silences[${i}]`;
    if (!isRecord(raw)) {
      p.add(at, raw, 'an object { matchers, start, end }');
      continue;
    }
    p.unknownFields(at, raw, SILENCE_FIELDS);
    const matchers = p.labels(`${at}.matchers`, raw.matchers, true);
    const start = p.seconds(`${at}.start`, raw.start, 0, end, within);
    const stop = p.seconds(
      `${at}.end`,
      raw.end,
      0,
      (start ?? 0) + MAX_WINDOW_SECONDS,
      `seconds from the start, after start and at most ${MAX_WINDOW_SECONDS / 86_400} days after it`,
    );
    if (start !== undefined && stop !== undefined && stop <= start) {
      p.add(`${at}.end`, stop, `after start ${start}`);
      continue;
    }
    if (matchers === undefined || start === undefined || stop === undefined) continue;
    silences.push({ matchers, start, end: stop });
  }
  return silences;
}

function acksOf(p: Problems, value: unknown, end: number, within: string, declared: readonly string[]): ReplayAck[] {
  const acks: ReplayAck[] = [];
  const names = [...new Set(declared)];
  for (const [i, raw] of (p.list('acks', value, false) ?? []).entries()) {
    const at = `acks[${i}]`;
    if (!isRecord(raw)) {
      p.add(at, raw, 'an object { name, at }');
      continue;
    }
    p.unknownFields(at, raw, ACK_FIELDS);
    let name = p.name(`${at}.name`, raw.name);
    if (name !== undefined && !names.includes(name)) {
      name = p.add(`${at}.name`, name, `the name of an alert of the scenario: ${names.join(', ') || 'none is valid'}`);
    }
    const time = p.seconds(`${at}.at`, raw.at, 0, end, within);
    if (name !== undefined && time !== undefined) acks.push({ name, at: time });
  }
  return acks;
}
