/**
 * Which alarms the router believes. Anyone allowed to create a CloudWatch alarm can write any
 * description, including a copy of the kit's metadata block (rule, severity, labels, runbook):
 * reading it blindly would let them page critical with their own text and runbook link. So the
 * metadata of an alarm's description is trusted only when
 *   - the alarm is one this stack created: its name is in the router's bundled configuration
 *     (`trustedAlarms`, the names the alert rule compiler gave), or
 *   - the metadata carries `sig`, an HMAC-SHA256 over the alarm name and the canonical metadata
 *     with a key only the kit's owners hold (a Secrets Manager secret given to the router).
 * Any other alarm is a foreign alert, described only by what CloudWatch itself says about it.
 * Whatever the description says, an alarm's identity is its ARN (domain/contracts/events.ts
 * alarmFingerprint), so no alarm can resolve or touch another alarm's alert.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlarmMetadata } from '../contracts/alarm-spec';
import type { Severity } from '../contracts/severity';

/** What intake needs to decide whether an alarm's metadata is believed. */
export interface AlarmTrust {
  /** Names of the alarms this stack created. */
  readonly trustedAlarms: ReadonlySet<string>;
  /** Severity of a foreign alarm's alert. */
  readonly foreignSeverity: Severity;
  /** The HMAC key of signed metadata, when the router has one. */
  readonly signingKey?: string;
}

/** Trusts no alarm: every alarm is foreign (the default when a caller passes nothing). */
export const NO_TRUST: AlarmTrust = { trustedAlarms: new Set(), foreignSeverity: 'warning' };

/** The alarm names of a compiled configuration (`compileAlerting(config)`): what the stack creates. */
export function alarmNamesOf(compiled: {
  readonly specs: readonly { readonly alarmName: string }[];
  readonly composites: readonly { readonly alarmName: string }[];
}): string[] {
  return [...compiled.specs, ...compiled.composites].map((a) => a.alarmName);
}

/**
 * The bytes the signature covers: the alarm name, a newline, then the metadata without `sig` as
 * JSON with a fixed key order and sorted labels, so the signer and the router agree whatever
 * order the description's JSON was written in.
 */
export function canonicalAlarmMetadata(alarmName: string, meta: AlarmMetadata): string {
  const labels: Record<string, string> = {};
  for (const key of Object.keys(meta.labels).sort()) {
    Object.defineProperty(labels, key, { value: meta.labels[key], enumerable: true, writable: true });
  }
  const canonical = {
    rule: meta.rule,
    severity: meta.severity,
    labels,
    ...(meta.runbook === undefined ? {} : { runbook: meta.runbook }),
    ...(meta.environment === undefined ? {} : { environment: meta.environment }),
    ...(meta.service === undefined ? {} : { service: meta.service }),
  };
  return `${alarmName}\n${JSON.stringify(canonical)}`;
}

/** The `sig` of an alarm's metadata: HMAC-SHA256, base64url. */
export function alarmSignature(alarmName: string, meta: AlarmMetadata, key: string): string {
  return createHmac('sha256', key).update(canonicalAlarmMetadata(alarmName, meta)).digest('base64url');
}

/** The metadata with its `sig`, ready for encodeAlarmDescription (for alarms created outside the stack). */
export function signAlarmMetadata(alarmName: string, meta: AlarmMetadata, key: string): AlarmMetadata {
  const { sig: _old, ...rest } = meta;
  return { ...rest, sig: alarmSignature(alarmName, rest, key) };
}

/** True when `meta.sig` is the signature of this alarm name and metadata under `key` (constant-time). */
export function verifyAlarmSignature(alarmName: string, meta: AlarmMetadata, key: string | undefined): boolean {
  if (meta.sig === undefined || key === undefined || key === '') return false;
  const expected = Buffer.from(alarmSignature(alarmName, meta, key));
  const given = Buffer.from(meta.sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Why an alarm's metadata is believed, or undefined when it is not (a foreign alarm). */
export function trustOf(
  alarmName: string,
  meta: AlarmMetadata | undefined,
  trust: AlarmTrust,
): 'stack' | 'signed' | undefined {
  if (meta === undefined) return undefined;
  if (trust.trustedAlarms.has(alarmName)) return 'stack';
  if (verifyAlarmSignature(alarmName, meta, trust.signingKey)) return 'signed';
  return undefined;
}
