/**
 * Processing rules, compiled once per container: each condition becomes a closure tree
 * (domain/languages/expression.ts) and each field path a pre-split array, so per event a rule costs
 * one predicate call and, when it matches, its action.
 */

import type { MetricUnit } from '../../layers/instrumentation/types';
import { isSeverity, type Severity } from '../contracts/severity';
import { type CompiledExpression, compileExpression, ExpressionError, resolvePath } from '../languages/expression';
import type { LookupTables, ProcessingRule } from './config';

/** An alert asked for by a `trigger_alert` rule; the detail is built once all rules have run. */
export interface AlertRequest {
  readonly rule: string;
  readonly alertName: string;
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
}

/** One observation of an `extract_metric` rule. */
export interface MetricObservation {
  readonly metric: string;
  readonly unit: MetricUnit;
  /** Dimension name (the last segment of its field path) to value. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The value; `undefined` counts 1. */
  readonly value: number | undefined;
}

/** What the rules did to one event, besides editing it in place (enrich). */
export interface RuleEffects {
  alerts: AlertRequest[] | undefined;
  metrics: MetricObservation[] | undefined;
  dropped: boolean;
  /** extract_metric values that were missing or not finite numbers. */
  skippedValues: number;
}

type Event = Record<string, unknown>;
type Apply = (event: Event, effects: RuleEffects) => void;

export interface CompiledRule {
  readonly name: string;
  readonly action: ProcessingRule['action'];
  readonly test: CompiledExpression;
  readonly apply: Apply;
}

/** The value of a dimension whose field is missing from the event. */
export const MISSING_DIMENSION = 'unknown';
/** Longest dimension value kept (CloudWatch allows 1024 characters). */
const MAX_DIMENSION_VALUE = 1024;

const splitPath = (path: string) => path.split('.');

/** Writes `value` at a dotted path, creating plain objects on the way. */
function assignPath(event: Event, path: readonly string[], value: unknown): void {
  let target = event;
  for (let i = 0; i < path.length - 1; i++) {
    const next = target[path[i]];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      target = next as Event;
    } else {
      const created: Event = {};
      target[path[i]] = created;
      target = created;
    }
  }
  target[path[path.length - 1]] = value;
}

function ruleError(rule: { name?: unknown }, detail: string): Error {
  return new Error(`log aggregator: processing rule '${String(rule.name)}': ${detail}`);
}

function compileAction(rule: ProcessingRule, tables: LookupTables): Apply {
  switch (rule.action) {
    case 'enrich': {
      const table = tables[rule.table];
      if (table === undefined) {
        throw ruleError(
          rule,
          `table '${rule.table}' is not in lookupTables (known: ${Object.keys(tables).join(', ') || 'none'})`,
        );
      }
      const field = splitPath(rule.field);
      const target = splitPath(rule.target ?? rule.table);
      return (event) => {
        const key = resolvePath(event, field);
        if (typeof key !== 'string' && typeof key !== 'number') return;
        const k = String(key);
        if (!Object.hasOwn(table, k)) return;
        // a copy: the event may be edited by later rules, the table is shared by all events
        assignPath(event, target, { ...table[k] });
      };
    }
    case 'trigger_alert': {
      const request: AlertRequest = {
        rule: rule.name,
        alertName: rule.alert ?? rule.name,
        severity: rule.severity,
        labels: { ...(rule.labels ?? {}) },
      };
      if (!isSeverity(rule.severity)) {
        throw ruleError(rule, `severity '${String(rule.severity)}' is not one of critical, warning, info`);
      }
      return (_event, effects) => {
        if (effects.alerts === undefined) effects.alerts = [request];
        else effects.alerts.push(request);
      };
    }
    case 'extract_metric': {
      if (typeof rule.metric !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(rule.metric)) {
        throw ruleError(rule, `metric '${String(rule.metric)}' is not a metric name (letters, digits and _)`);
      }
      const valuePath = rule.value === undefined ? undefined : splitPath(rule.value);
      const dims = (rule.dimensions ?? []).map((d) => ({ name: d.split('.').pop() as string, path: splitPath(d) }));
      const metric = rule.metric;
      const unit = rule.unit ?? 'Count';
      return (event, effects) => {
        let value: number | undefined;
        if (valuePath !== undefined) {
          const raw = resolvePath(event, valuePath);
          value =
            typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
          if (!Number.isFinite(value)) {
            effects.skippedValues++;
            return;
          }
        }
        const dimensions: Record<string, string> = {};
        for (const d of dims) {
          const v = resolvePath(event, d.path);
          dimensions[d.name] =
            v === undefined || v === null
              ? MISSING_DIMENSION
              : (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, MAX_DIMENSION_VALUE);
        }
        const observation: MetricObservation = { metric, unit, dimensions, value };
        if (effects.metrics === undefined) effects.metrics = [observation];
        else effects.metrics.push(observation);
      };
    }
    case 'drop':
      return (_event, effects) => {
        effects.dropped = true;
      };
    default:
      throw ruleError(
        rule,
        `action '${String((rule as { action: unknown }).action)}' is not one of enrich, trigger_alert, extract_metric, drop`,
      );
  }
}

/** Compiles the rules; throws naming the rule and the field when one is invalid. */
export function compileRules(rules: readonly ProcessingRule[], tables: LookupTables = {}): CompiledRule[] {
  return rules.map((rule) => {
    let test: CompiledExpression;
    try {
      test = compileExpression(rule.condition);
    } catch (error) {
      if (error instanceof ExpressionError) throw ruleError(rule, `condition: ${error.message}`);
      throw error;
    }
    return { name: rule.name, action: rule.action, test, apply: compileAction(rule, tables) };
  });
}

/** Runs the rules in order on one event (enrich edits it in place); a `drop` stops the run. */
export function applyRules(rules: readonly CompiledRule[], event: Event): RuleEffects {
  const effects: RuleEffects = { alerts: undefined, metrics: undefined, dropped: false, skippedValues: 0 };
  const resolve = (path: readonly string[]) => resolvePath(event, path);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule.test(resolve)) continue;
    rule.apply(event, effects);
    if (effects.dropped) break;
  }
  return effects;
}
