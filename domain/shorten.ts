import { createHash } from 'node:crypto';

export interface ShortenOptions {
  /** Hex digits of the SHA-256 of `name` kept at the end. */
  readonly hashLength: number;
  /** Drop the hyphens the cut leaves at the end of the prefix (no `--` before the hash). @default false */
  readonly trimHyphens?: boolean;
}

/**
 * `name` when it fits in `maxLength`, else a prefix of it, `-` and a hash of it: names cut to a
 * service's limit stay distinct and the same from one synth to the next.
 */
export function shortenWithHash(name: string, maxLength: number, options: ShortenOptions): string {
  if (name.length <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, options.hashLength);
  const prefix = name.slice(0, maxLength - hash.length - 1);
  return `${options.trimHyphens ? prefix.replace(/-+$/, '') : prefix}-${hash}`;
}
