/**
 * The bundled configuration of the log aggregator: `{ rules, lookupTables, sources? }`, taken from
 * `logging.processingRules`, `logging.lookupTables` and `logging.sources` of the resolved config
 * (domain/config validates them with zod at synth time; the handler re-checks what it compiles).
 */

import type { MetricUnit } from '../../layers/instrumentation/types';
import type { Severity } from '../contracts/severity';
import type { ConfiguredParser } from './parsers';

interface RuleBase {
  readonly name: string;
  /** A condition in the safe expression language, e.g. `level == 'ERROR'`. */
  readonly condition: string;
}

export interface EnrichRule extends RuleBase {
  readonly action: 'enrich';
  /** Field path whose value is the lookup key. */
  readonly field: string;
  /** Key of `lookupTables`. */
  readonly table: string;
  /** Field path that receives the row; @default - the table name */
  readonly target?: string;
}

export interface AlertRuleAction extends RuleBase {
  readonly action: 'trigger_alert';
  readonly severity: Severity;
  /** @default - the rule name */
  readonly alert?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ExtractMetricRule extends RuleBase {
  readonly action: 'extract_metric';
  readonly metric: string;
  /** Field path of the value; @default - count 1 per event */
  readonly value?: string;
  /** @default 'Count' */
  readonly unit?: MetricUnit;
  /** Field paths; their values become dimensions. */
  readonly dimensions?: readonly string[];
}

export interface DropRule extends RuleBase {
  readonly action: 'drop';
}

export type ProcessingRule = EnrichRule | AlertRuleAction | ExtractMetricRule | DropRule;

/** The MAIF monitoring guide's `log_sources`: `path` is a log group name, `*` matches any run of characters. */
export interface LogSource {
  readonly name: string;
  readonly path: string;
  readonly parser: ConfiguredParser;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Table name -> lookup key -> row merged into the event. */
export type LookupTables = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;

export interface LogAggregatorConfig {
  readonly rules: readonly ProcessingRule[];
  readonly lookupTables?: LookupTables;
  readonly sources?: readonly LogSource[];
}
