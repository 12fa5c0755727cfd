/**
 * Metric aliases: the MAIF monitoring guide's metric names -> the metric catalog. Names the guide
 * uses in alert rules and real-time views (`error_rate`, `response_time`, `up`...) are written in
 * the rule language over catalog metrics. The real-time names come from the dashboards' table
 * (domain/dashboards/realtime.ts), converted from PromQL, so dashboards and alarms agree on what
 * `error_rate` means.
 */
import type { MetricUnit } from '../../layers/instrumentation/types';
import { REALTIME_METRICS } from '../dashboards/realtime';
import { type PromNode, parsePromQL } from '../languages/promql';

/** One alias: what a name in a rule stands for, over catalog metrics. */
export interface MetricAlias {
  /** The definition in the rule language (see the alerting guide). */
  readonly expr: string;
  /** The unit its thresholds are written in; inferred from the catalog when absent. */
  readonly unit?: MetricUnit;
}

const AGGREGATE_STATS: Readonly<Record<string, string>> = { avg: 'avg', min: 'min', max: 'max' };

/** PromQL (the subset the real-time table uses) -> rule language; undefined when it has no alarm form. */
export function promqlToRule(node: PromNode): string | undefined {
  switch (node.type) {
    case 'number':
      return node.value >= 0 ? String(node.value) : undefined;
    case 'selector': {
      if (!node.name || node.matchers.some((m) => m.op !== '=')) return undefined;
      const filters = node.matchers.map((m) => `${m.name}='${m.value}'`).join(', ');
      const withFilters = (name: string) => (filters ? `${name}{${filters}}` : name);
      if (node.name.endsWith('_sum')) return `sum(${withFilters(node.name.slice(0, -4))})`;
      if (node.name.endsWith('_count')) return `count(${withFilters(node.name.slice(0, -6))})`;
      return withFilters(node.name);
    }
    case 'call': {
      const arg = node.args[0];
      if (node.func !== 'rate' || node.args.length !== 1 || arg.type !== 'matrix') return undefined;
      const inner = promqlToRule(arg.selector);
      return inner === undefined || inner.includes('(') ? undefined : `rate(${inner})`;
    }
    case 'aggregate': {
      // sum() over a gauge's labels has no single-alarm form (it needs SEARCH); min/max/avg read the rollup.
      const stat = AGGREGATE_STATS[node.op];
      if (stat === undefined || node.grouping || node.param || node.expr.type !== 'selector') return undefined;
      const inner = promqlToRule(node.expr);
      return inner === undefined || inner.includes('(') ? undefined : `${stat}(${inner})`;
    }
    case 'binary': {
      if (!['+', '-', '*', '/'].includes(node.op) || node.matching) return undefined;
      const l = promqlToRule(node.lhs);
      const r = promqlToRule(node.rhs);
      return l === undefined || r === undefined ? undefined : `(${l}) ${node.op} (${r})`;
    }
    default:
      return undefined;
  }
}

/** Units the real-time names are read in (their PromQL does not say). */
const REALTIME_UNITS: Readonly<Record<string, MetricUnit>> = { error_rate: 'Percent' };

function realtimeNames(): Record<string, MetricAlias> {
  const out: Record<string, MetricAlias> = {};
  for (const [name, m] of Object.entries(REALTIME_METRICS)) {
    const expr = promqlToRule(parsePromQL(m.expr));
    if (expr === undefined) continue;
    // A name that is itself a catalog metric (cpu_utilization) stays the metric.
    if (expr === name) continue;
    out[name] = REALTIME_UNITS[name] ? { expr, unit: REALTIME_UNITS[name] } : { expr };
  }
  return out;
}

/**
 * The alias table. Catalog metric names are valid rule names as they are; these are the MAIF
 * monitoring guide's other names, and catalog metrics whose default statistic differs.
 */
export const METRIC_ALIASES: Readonly<Record<string, MetricAlias>> = {
  ...realtimeNames(),
  /** The guide's `response_time` (and `response_time_p95`): the request duration distribution, in seconds. */
  response_time: { expr: 'http_request_duration_seconds' },
  /** A health probe target is down when any probe saw it down: Minimum over the rollup set. */
  up: { expr: 'min(up)' },
  /** The fullest mount decides: Maximum over the rollup set. */
  disk_usage: { expr: 'max(disk_usage)' },
};
