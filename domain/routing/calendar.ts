/**
 * Business hours: a weekly calendar in an IANA time zone, with holidays. Computes the routing
 * identifier `business_hours` for an instant. Uses Intl (no time zone database to bundle).
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessHours {
  /** IANA time zone, e.g. 'Europe/Paris' */
  readonly timeZone: string;
  readonly days: readonly Weekday[];
  /** 'HH:MM', local time, inclusive */
  readonly start: string;
  /** 'HH:MM', local time, exclusive; '24:00' for the end of the day */
  readonly end: string;
  /** local dates 'YYYY-MM-DD' that are not business days */
  readonly holidays?: readonly string[];
}

export const DEFAULT_BUSINESS_HOURS = {
  timeZone: 'UTC',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '18:00',
  holidays: [],
} as const satisfies BusinessHours;

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export function minutesOf(hhmm: string): number {
  if (!HHMM.test(hhmm)) throw new RangeError(`'${hhmm}' is not a time of day (use HH:MM, 00:00 to 24:00)`);
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local wall-clock parts of an instant in a zone. */
export function localTime(at: number, timeZone: string): { date: string; weekday: Weekday; minutes: number } {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(at))) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** True when `at` (epoch ms) falls inside the calendar's business hours. */
export function isBusinessHours(at: number, calendar: BusinessHours): boolean {
  const local = localTime(at, calendar.timeZone);
  if (!calendar.days.includes(local.weekday)) return false;
  if (calendar.holidays?.includes(local.date)) return false;
  return local.minutes >= minutesOf(calendar.start) && local.minutes < minutesOf(calendar.end);
}
