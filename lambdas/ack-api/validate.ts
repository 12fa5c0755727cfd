/**
 * Validation of silence and maintenance requests: matchers, a start before an end, a bounded
 * length, a comment. Errors name the field, the value received and what is allowed.
 */

import type { Matcher } from '../../domain/contracts/alert-state';
import { isRecord } from '../../domain/records';

export interface SilenceRequest {
  readonly matchers: readonly Matcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly comment: string;
}

export interface MaintenanceRequest {
  readonly startsAt: string;
  readonly endsAt: string;
  readonly comment: string;
  readonly matchers?: readonly Matcher[];
}

/** A silence or maintenance window lasts at most this long. */
export const MAX_WINDOW_SECONDS = 30 * 24 * 3600;
export const MAX_MATCHERS = 20;
export const MAX_COMMENT_CHARS = 1000;
export const MAX_MATCHER_VALUE_CHARS = 256;
/** Label names as Prometheus spells them; `alertname` matches the alert's name. */
export const MATCHER_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;

export class RequestError extends Error {}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.slice(0, 60);
}

function optionalBool(field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new RequestError(`${field}: ${show(value)} is not true or false`);
  return value;
}

export function parseMatchers(field: string, value: unknown, required: boolean): Matcher[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0) || value.length > MAX_MATCHERS) {
    throw new RequestError(`${field}: ${show(value)} is not a list of 1 to ${MAX_MATCHERS} matchers`);
  }
  return value.map((m, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(m))
      throw new RequestError(`${at}: ${show(m)} is not a matcher ({ name, value, isRegex?, isEqual? })`);
    if (typeof m.name !== 'string' || !MATCHER_NAME_RE.test(m.name)) {
      throw new RequestError(`${at}.name: ${show(m.name)} is not a label name (letters, digits, _ and .)`);
    }
    if (typeof m.value !== 'string' || m.value.length > MAX_MATCHER_VALUE_CHARS) {
      throw new RequestError(
        `${at}.value: ${show(m.value)} is not a string of at most ${MAX_MATCHER_VALUE_CHARS} characters`,
      );
    }
    const isRegex = optionalBool(`${at}.isRegex`, m.isRegex);
    const isEqual = optionalBool(`${at}.isEqual`, m.isEqual);
    if (isRegex) {
      try {
        new RegExp(`^(?:${m.value})$`);
      } catch (error) {
        throw new RequestError(
          `${at}.value: ${show(m.value)} is not a regular expression (${(error as Error).message})`,
        );
      }
    }
    return {
      name: m.name,
      value: m.value,
      ...(isRegex === undefined ? {} : { isRegex }),
      ...(isEqual === undefined ? {} : { isEqual }),
    };
  });
}

function instant(field: string, value: unknown): number {
  const ms = typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new RequestError(`${field}: ${show(value)} is not an ISO 8601 time (2026-01-31T12:00:00Z)`);
  return ms;
}

function window(body: Record<string, unknown>, nowMs: number): { startsAt: string; endsAt: string } {
  const start = body.startsAt === undefined ? nowMs : instant('startsAt', body.startsAt);
  const end = instant('endsAt', body.endsAt);
  if (end <= start)
    throw new RequestError(`endsAt: ${show(body.endsAt)} is not after startsAt (${new Date(start).toISOString()})`);
  if (end <= nowMs)
    throw new RequestError(`endsAt: ${show(body.endsAt)} is in the past (now is ${new Date(nowMs).toISOString()})`);
  if (end - start > MAX_WINDOW_SECONDS * 1000) {
    throw new RequestError(
      `endsAt: ${show(body.endsAt)} is more than ${MAX_WINDOW_SECONDS / 86400} days after startsAt`,
    );
  }
  return { startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString() };
}

function comment(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_COMMENT_CHARS) {
    throw new RequestError(
      `comment: ${show(value)} is not a non-empty text of at most ${MAX_COMMENT_CHARS} characters`,
    );
  }
  return value.trim();
}

function object(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new RequestError(`body: ${show(body)} is not a JSON object`);
  return body;
}

export function parseSilence(body: unknown, nowMs: number): SilenceRequest {
  const b = object(body);
  return { matchers: parseMatchers('matchers', b.matchers, true), ...window(b, nowMs), comment: comment(b.comment) };
}

export function parseMaintenance(body: unknown, nowMs: number): MaintenanceRequest {
  const b = object(body);
  const matchers = parseMatchers('matchers', b.matchers, false);
  return { ...window(b, nowMs), comment: comment(b.comment), ...(matchers.length > 0 ? { matchers } : {}) };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(`body: ${show(text)} is not JSON`);
  }
}
