/** A parsed JSON object: what every parser of untrusted input checks before reading fields. */
export type UnknownRecord = Record<string, unknown>;

/** True for a non-null object that is not an array. */
export function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
