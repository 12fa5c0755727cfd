/**
 * What the cross-field checks report, and the defensive readers they use: the input has not
 * been validated yet, so every read tolerates any shape.
 */
import { isRecord } from '../records';

export type IssuePath = readonly (string | number)[];

export interface Problem {
  readonly path: IssuePath;
  /** `<value received> is not <what is allowed>`, without the path. */
  readonly message: string;
  /** The value is a secret: no other message may quote it. */
  readonly secret?: boolean;
}

export const at = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);
export const items = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
export const keysOf = (v: unknown): string[] => (isRecord(v) ? Object.keys(v) : []);
