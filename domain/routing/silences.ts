/**
 * Silences and maintenance windows: Alertmanager-style label matchers over an alert's labels
 * (plus `alertname` and `severity`), and the question "is this alert muted at this instant".
 */

import type { Alert } from '../contracts/alert';
import type { MaintenanceWindow, Matcher, Silence } from '../contracts/alert-state';

/** The labels a matcher sees: the alert's labels plus its name and severity. */
export function matchableLabels(alert: Pick<Alert, 'alertName' | 'severity' | 'labels'>): Record<string, string> {
  return { alertname: alert.alertName, severity: alert.severity, ...alert.labels };
}

const regexCache = new Map<string, RegExp>();

function regexOf(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    // anchored like Alertmanager: the whole value must match
    re = new RegExp(`^(?:${pattern})$`);
    regexCache.set(pattern, re);
  }
  return re;
}

/** A matcher's pattern error names the matcher, the value received and what is allowed. */
export function validateMatcher(matcher: Matcher): string | undefined {
  if (typeof matcher.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(matcher.name))
    return `matcher name '${String(matcher.name)}' is not a label name (letters, digits and _)`;
  if (typeof matcher.value !== 'string') return `matcher '${matcher.name}': value is not a string`;
  if (matcher.isRegex) {
    try {
      regexOf(matcher.value);
    } catch {
      return `matcher '${matcher.name}': '${matcher.value}' is not a regular expression`;
    }
  }
  return undefined;
}

export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.name] ?? '';
  const hit = matcher.isRegex ? regexOf(matcher.value).test(value) : value === matcher.value;
  return matcher.isEqual === false ? !hit : hit;
}

export function matchesAll(matchers: readonly Matcher[], alert: Pick<Alert, 'alertName' | 'severity' | 'labels'>) {
  const labels = matchableLabels(alert);
  return matchers.every((m) => matches(m, labels));
}

function activeAt(window: { startsAt: string; endsAt: string }, at: number): boolean {
  return Date.parse(window.startsAt) <= at && at < Date.parse(window.endsAt);
}

/** The first silence active at `at` whose matchers all match the alert. */
export function silencedBy(
  alert: Pick<Alert, 'alertName' | 'severity' | 'labels'>,
  silences: readonly Silence[],
  at: number,
): Silence | undefined {
  return silences.find((s) => s.matchers.length > 0 && activeAt(s, at) && matchesAll(s.matchers, alert));
}

/** The first maintenance window active at `at` covering the alert (no matchers: every alert). */
export function inMaintenance(
  alert: Pick<Alert, 'alertName' | 'severity' | 'labels'>,
  windows: readonly Pick<MaintenanceWindow, 'startsAt' | 'endsAt' | 'matchers'>[],
  at: number,
): boolean {
  return windows.some((w) => activeAt(w, at) && matchesAll(w.matchers ?? [], alert));
}

/**
 * Parses `name=value`, `name!=value`, `name=~regex`, `name!~regex` (the CLI's matcher syntax).
 */
function quotedValue(raw: string): string {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'string' ? parsed : raw.slice(1, -1);
  } catch {
    return raw.slice(1, -1);
  }
}

export function parseMatcher(text: string): Matcher {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$/.exec(text.trim());
  if (!m) throw new RangeError(`matcher '${text}' is not name=value, name!=value, name=~regex or name!~regex`);
  const [, name, op, raw] = m as unknown as [string, string, string, string];
  // a quoted value is a JSON string (what `maif-obs silence` prints for values with spaces or quotes)
  const value = quotedValue(raw);
  const matcher: Matcher = { name, value, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') };
  const problem = validateMatcher(matcher);
  if (problem) throw new RangeError(problem);
  return matcher;
}
