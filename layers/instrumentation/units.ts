/**
 * Parsers for the short units the configuration is written in, as the MAIF monitoring guide writes
 * them: durations (`30s`, `5m`, `1h`, `7d`), sizes (`100MB`), percentages (`80%`) and CloudWatch
 * log retentions (`30d`, `1w`, `1mo`, `1y`). Each `parseXxx` throws a `RangeError` whose message
 * names the value and what is allowed; each `isXxx` is the matching boolean test.
 */

const DURATION_UNITS_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

/** Sizes are binary (1 KB = 1024 B), the way memory is counted; `KiB`, `MiB`... are synonyms. */
const SIZE_UNITS_BYTES = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
} as const;

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;
const PERCENT_RE = /^(\d+(?:\.\d+)?)%$/;

export const DURATION_HINT = 'use 30s, 5m, 1h' as const;
export const SIZE_HINT = 'use 512KB, 100MB, 1GB' as const;
export const PERCENT_HINT = 'use 80%, 99.9%' as const;

/** The retentions CloudWatch Logs accepts, by the names the configuration uses, in days. */
export const CLOUDWATCH_RETENTIONS = {
  '1d': 1,
  '3d': 3,
  '5d': 5,
  '1w': 7,
  '2w': 14,
  '1mo': 30,
  '2mo': 60,
  '3mo': 90,
  '4mo': 120,
  '5mo': 150,
  '6mo': 180,
  '1y': 365,
  '13mo': 400,
  '18mo': 545,
  '2y': 731,
  '3y': 1096,
  '5y': 1827,
  '6y': 2192,
  '7y': 2557,
  '8y': 2922,
  '9y': 3288,
  '10y': 3653,
  /** aws-cdk-lib's `RetentionDays.INFINITE`. */
  infinite: 9999,
} as const;

export type RetentionName = keyof typeof CLOUDWATCH_RETENTIONS;
/** A value of aws-cdk-lib's `logs.RetentionDays` enum. */
export type RetentionDaysValue = (typeof CLOUDWATCH_RETENTIONS)[RetentionName];

const RETENTION_DAYS = new Set<number>(Object.values(CLOUDWATCH_RETENTIONS));
export const RETENTION_HINT =
  `allowed: ${Object.keys(CLOUDWATCH_RETENTIONS).join(', ')}, or a number of days among those` as const;

/** Shows a received value the way error messages quote it: strings in single quotes. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const text = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return text.includes("'") ? JSON.stringify(text) : `'${text}'`;
  }
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return String(value);
  }
}

function matchNumber(re: RegExp, text: unknown): [number, string] | undefined {
  if (typeof text !== 'string') return undefined;
  const m = re.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? [n, m[2] ?? ''] : undefined;
}

/** `'30s'` -> 30000. Units: ms, s, m, h, d, w. */
export function parseDuration(text: string): number {
  const hit = matchNumber(DURATION_RE, text);
  if (!hit) throw new RangeError(`${show(text)} is not a duration (${DURATION_HINT})`);
  return hit[0] * DURATION_UNITS_MS[hit[1] as keyof typeof DURATION_UNITS_MS];
}

export function isDuration(text: unknown): text is string {
  return matchNumber(DURATION_RE, text) !== undefined;
}

/** `'100MB'` -> 104857600. Units: B, KB, MB, GB, TB (binary), KiB, MiB, GiB, TiB. */
export function parseSize(text: string): number {
  const hit = matchNumber(SIZE_RE, text);
  if (!hit) throw new RangeError(`${show(text)} is not a size (${SIZE_HINT})`);
  return hit[0] * SIZE_UNITS_BYTES[hit[1] as keyof typeof SIZE_UNITS_BYTES];
}

export function isSize(text: unknown): text is string {
  return matchNumber(SIZE_RE, text) !== undefined;
}

/** `'80%'` -> 80 (percent points, as CloudWatch's `Percent` unit counts). */
export function parsePercent(text: string): number {
  const hit = matchNumber(PERCENT_RE, text);
  if (!hit) throw new RangeError(`${show(text)} is not a percentage (${PERCENT_HINT})`);
  return hit[0];
}

export function isPercent(text: unknown): text is string {
  return matchNumber(PERCENT_RE, text) !== undefined;
}

/** `'30d'` or `'1mo'` -> 30, `'infinite'` -> 9999: a value of CloudWatch's (and the CDK's) RetentionDays. */
export function parseRetention(text: string): RetentionDaysValue {
  if (typeof text === 'string' && Object.hasOwn(CLOUDWATCH_RETENTIONS, text)) {
    return CLOUDWATCH_RETENTIONS[text as RetentionName];
  }
  const m = typeof text === 'string' ? /^(\d+)d$/.exec(text) : null;
  const days = m ? Number(m[1]) : Number.NaN;
  if (RETENTION_DAYS.has(days)) return days as RetentionDaysValue;
  throw new RangeError(`${show(text)} is not a CloudWatch retention (${RETENTION_HINT})`);
}

export function isRetention(text: unknown): text is string {
  try {
    parseRetention(text as string);
    return true;
  } catch {
    return false;
  }
}
