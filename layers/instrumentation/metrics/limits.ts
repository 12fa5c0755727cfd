/**
 * CloudWatch limits the metrics module enforces, and the sanitizers that keep every value,
 * name and dimension inside them. Sources: the CloudWatch embedded metric format specification
 * and the PutMetricData API reference.
 */

/** EMF: metric definitions per document. */
export const MAX_METRICS_PER_DOCUMENT = 100 as const;
/** EMF: values in one metric's array (and Values/Counts pairs in one document). */
export const MAX_VALUES_PER_METRIC = 100 as const;
/** EMF and PutMetricData: dimensions in one dimension set. */
export const MAX_DIMENSIONS = 30 as const;
/** EMF: a log event stays strictly under 256 KB (the older, safe limit). */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** PutMetricData: Values/Counts pairs in one datum. */
export const MAX_VALUES_PER_DATUM = 150 as const;
/** PutMetricData: datums in one request. */
export const MAX_DATUMS_PER_REQUEST = 1000 as const;
/** PutMetricData: request payload, kept under the 1 MB limit with room for the envelope. */
export const MAX_REQUEST_BYTES = 900 * 1024;
/** Dimension names and metric names. */
export const MAX_NAME_LENGTH = 255 as const;
/** Dimension values. */
export const MAX_DIMENSION_VALUE_LENGTH = 1024 as const;
/** CloudWatch rejects magnitudes above 2^360. */
export const MAX_MAGNITUDE = 2 ** 360;
/** CloudWatch rejects non-zero magnitudes below 2^-360; such values are written as 0. */
export const MIN_MAGNITUDE = 2 ** -360;
/** The MAIF monitoring guide's `cardinality_limits` defaults. */
export const DEFAULT_MAX_SERIES_PER_METRIC = 10_000 as const;
export const DEFAULT_CARDINALITY_WARNING_THRESHOLD = 5_000 as const;
/** What an empty (or blank) dimension value is written as: CloudWatch needs one visible character. */
export const EMPTY_DIMENSION_VALUE = '(empty)' as const;

/** Why an observation was dropped: the `reason` label of `maif_obs_dropped_observations_total`. */
export const DROP_REASONS = {
  undeclaredLabel: 'undeclared_label',
  invalidLabelValue: 'invalid_label_value',
  nonFinite: 'non_finite',
  outOfRange: 'out_of_range',
  negativeIncrement: 'negative_increment',
  sinkError: 'sink_error',
  internalError: 'internal_error',
} as const;
export type DropReason = (typeof DROP_REASONS)[keyof typeof DROP_REASONS];

/**
 * The number CloudWatch will accept for `value`: `undefined` for NaN, ±Infinity and
 * magnitudes above 2^360 (drop and count those), 0 for magnitudes below 2^-360.
 */
export function cloudWatchValue(value: number): number | undefined {
  const magnitude = Math.abs(value);
  if (!(magnitude <= MAX_MAGNITUDE)) return undefined;
  return magnitude < MIN_MAGNITUDE ? 0 : value;
}

// Control characters have no business in a name or a dimension and break some log viewers.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** A dimension value CloudWatch accepts: no control characters, 1..1024 characters, not blank. */
export function dimensionValue(value: string): string {
  const clean = truncate(value.replace(CONTROL_CHARACTERS, '_'), MAX_DIMENSION_VALUE_LENGTH);
  return clean.trim() === '' ? EMPTY_DIMENSION_VALUE : clean;
}

/** A metric or dimension name CloudWatch accepts: no control characters, 1..255 characters. */
export function cloudWatchName(name: string): string {
  const clean = truncate(name.replace(CONTROL_CHARACTERS, '_'), MAX_NAME_LENGTH);
  return clean.trim() === '' ? '_' : clean;
}
