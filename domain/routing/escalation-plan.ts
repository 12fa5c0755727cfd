/**
 * The escalation plan of one alert episode: step 0 is level 0 (`firing`), steps 1..L-1 the
 * next levels (`escalation`), then `repeat` extra passes over levels 1..L-1 (`repeat`).
 * The state machine carries a cursor; the notify step returns the next one.
 */
import type { EscalationInput, NotificationKind } from '../contracts/alert';

/** PagerDuty loops an escalation policy at most 9 times. */
export const MAX_REPEAT = 9;
/** A Wait state may wait up to a year; one level waiting more than a day is a configuration error. */
export const MAX_LEVEL_DELAY_SECONDS = 86_400;
/** Step Functions keeps an execution at most a year and 25,000 history events; stay far below. */
export const MAX_LEVELS = 20;

export type StepKind = Extract<NotificationKind, 'firing' | 'escalation' | 'repeat'>;

export interface Cursor {
  /** 0-based position in the plan; unique per visit, so it keys the notification log. */
  readonly step: number;
  readonly level: number;
  readonly kind: StepKind;
  /** Wait before this step's check. */
  readonly delaySeconds: number;
  /** True when there is no such step: the plan is over. */
  readonly done: boolean;
}

/** Steps in the plan: every level once, then `repeat` passes over levels 1 and up. */
export function stepCount(input: Pick<EscalationInput, 'levels' | 'repeat'>): number {
  const levels = input.levels.length;
  return levels + (levels > 1 ? input.repeat * (levels - 1) : 0);
}

/** The cursor of step `step` (done when past the end). */
export function cursorAt(input: Pick<EscalationInput, 'levels' | 'repeat'>, step: number): Cursor {
  const levels = input.levels.length;
  if (step >= stepCount(input)) return { step, level: 0, kind: 'repeat', delaySeconds: 0, done: true };
  const level = step < levels ? step : 1 + ((step - levels) % (levels - 1));
  const kind: StepKind = step === 0 ? 'firing' : step < levels ? 'escalation' : 'repeat';
  return { step, level, kind, delaySeconds: input.levels[level].delaySeconds, done: false };
}

/** Checks an execution input; the message names the field, the value and what is allowed. */
export function validateInput(input: EscalationInput): void {
  if (typeof input !== 'object' || input === null) throw new Error('escalation input: not an object');
  if (typeof input.alert?.fingerprint !== 'string' || input.alert.fingerprint === '') {
    throw new Error(
      `escalation input alert.fingerprint: ${JSON.stringify(input.alert?.fingerprint)} is not a fingerprint`,
    );
  }
  if (!Number.isSafeInteger(input.episode) || input.episode < 0) {
    throw new Error(`escalation input episode: ${JSON.stringify(input.episode)} is not a whole number >= 0`);
  }
  if (!Array.isArray(input.levels) || input.levels.length === 0 || input.levels.length > MAX_LEVELS) {
    throw new Error(
      `escalation input levels: ${Array.isArray(input.levels) ? input.levels.length : typeof input.levels} levels (use 1 to ${MAX_LEVELS})`,
    );
  }
  input.levels.forEach((level, i) => {
    const d = level?.delaySeconds;
    if (!Number.isSafeInteger(d) || d < 0 || d > MAX_LEVEL_DELAY_SECONDS) {
      throw new Error(
        `escalation input levels[${i}].delaySeconds: ${JSON.stringify(d)} is not allowed (use whole seconds from 0 to ${MAX_LEVEL_DELAY_SECONDS})`,
      );
    }
    if (!Array.isArray(level.channels)) {
      throw new Error(
        `escalation input levels[${i}].channels: ${JSON.stringify(level.channels)} is not a list of channels`,
      );
    }
  });
  if (!Number.isSafeInteger(input.repeat) || input.repeat < 0 || input.repeat > MAX_REPEAT) {
    throw new Error(`escalation input repeat: ${JSON.stringify(input.repeat)} is not allowed (use 0 to ${MAX_REPEAT})`);
  }
}
