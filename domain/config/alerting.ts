/**
 * Alerting settings the configuration schema (schema.ts) does not accept yet, as zod schemas
 * it can take in: a rule's `period`, and per-baseline anomaly switches
 * (`baselines: { name: '100ms' | {...} }`).
 */
import { z } from 'zod';
import { isDuration } from '../../layers/instrumentation/units';
import type { BaselineOptions } from '../rules/baselines';

const durationText = z
  .string({ error: (iss) => `${JSON.stringify(iss.input)} is not a duration (use 30s, 5m, 1h)` })
  .refine(isDuration, { error: (iss) => `${JSON.stringify(iss.input)} is not a duration (use 30s, 5m, 1h)` });

/** `alerting.rules[].period`: the alarm period (10s, 20s, 30s on high-resolution metrics, or whole minutes). */
export const rulePeriodSchema = durationText.optional();

/**
 * One `alerting.baselines` entry: a duration, as the MAIF monitoring guide writes baselines
 * (`'100ms'`), or an object with per-metric switches.
 */
export const baselineSettingSchema = z.union([
  durationText,
  z.strictObject({
    value: durationText,
    anomalyDetection: z.boolean().optional(),
    bands: z.number().positive().optional(),
    metric: z.string().min(1).optional(),
  }),
]);

export type BaselineSetting = z.input<typeof baselineSettingSchema>;

/**
 * Splits `alerting.baselines` written with per-metric switches into what the configuration schema
 * accepts today (`name: '100ms'`) and the AlertAlarms `baselines` prop.
 */
export function splitBaselines(input: Readonly<Record<string, BaselineSetting>>): {
  baselines: Record<string, string>;
  options: Record<string, BaselineOptions>;
} {
  const baselines: Record<string, string> = {};
  const options: Record<string, BaselineOptions> = {};
  for (const [name, raw] of Object.entries(input)) {
    const parsed = baselineSettingSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`alerting.baselines.${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    const v = parsed.data;
    if (typeof v === 'string') {
      baselines[name] = v;
      continue;
    }
    baselines[name] = v.value;
    options[name] = {
      ...(v.anomalyDetection !== undefined ? { anomalyDetection: v.anomalyDetection } : {}),
      ...(v.bands !== undefined ? { bands: v.bands } : {}),
      ...(v.metric !== undefined ? { metric: v.metric } : {}),
    };
  }
  return { baselines, options };
}
