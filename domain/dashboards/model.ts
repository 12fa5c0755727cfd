/**
 * Dashboards from configuration, before any rendering: titles, CloudWatch names, a 24-column
 * layout and each panel's translated queries. lib/dashboards/dashboards.ts renders this as
 * CloudWatch dashboards, grafana.ts as Grafana dashboard JSON, so both show the same thing.
 */
import { METRIC_CATALOG, type MetricKind } from '../../layers/instrumentation/catalog';
import { parseDuration } from '../../layers/instrumentation/units';
import { type DashboardTarget, REALTIME_METRICS, realtimePanel } from './realtime';

import {
  IdAllocator,
  MAX_METRICS_PER_WIDGET,
  type MetricDefinitions,
  nearestNames,
  type TranslatedQuery,
  translatePromQL,
} from './translate';

/** Panel types of the configuration; timeseries and stat are Grafana's names for graph and singlestat. */
export type ConfigPanelType = 'graph' | 'timeseries' | 'singlestat' | 'stat' | 'gauge' | 'table' | 'text';
/** What a panel renders as. */
export type PanelType = 'graph' | 'singlestat' | 'gauge' | 'table' | 'text';

export interface DashboardPanel {
  readonly title: string;
  readonly type: ConfigPanelType;
  readonly targets: readonly DashboardTarget[];
}

export interface DashboardDefinition {
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
}

export interface RealtimeSettings {
  /** How often a viewer refreshes, e.g. '5s' (Grafana's `refresh`). */
  readonly updateInterval: string;
  /** The time range shown, e.g. '1h'. */
  readonly retentionWindow: string;
  readonly metrics: readonly string[];
}

/**
 * What the dashboards need from the configuration of one environment: a `ResolvedConfig`
 * (domain/config) is one.
 */
export interface DashboardsConfig {
  readonly service: string;
  readonly namespace: string;
  /** The environment name (dev, staging, prod): a dimension and part of each dashboard name. */
  readonly environment: string;
  readonly dashboards: readonly DashboardDefinition[];
  readonly realtime?: RealtimeSettings;
  /** Custom metrics the service declares: the PromQL may name them besides the catalog's. */
  readonly metrics?: { readonly custom?: readonly CustomMetric[] };
}

export interface CustomMetric {
  readonly name: string;
  readonly kind: MetricKind;
  readonly labels?: readonly string[];
}

export interface CompiledPanel {
  readonly title: string;
  readonly type: PanelType;
  readonly queries: readonly TranslatedQuery[];
  /** Grid position in 24 columns (CloudWatch and Grafana share it). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface CompiledDashboard {
  readonly title: string;
  /** A valid CloudWatch dashboard name: letters, digits, - and _, at most 255. */
  readonly name: string;
  readonly namespace: string;
  readonly environment: string;
  /** Default period of the panels, in seconds. */
  readonly period: number;
  /** Time range shown when opened, in seconds back from now. */
  readonly rangeSeconds: number;
  /** Refresh interval for viewers that support one (Grafana), in seconds. */
  readonly refreshSeconds?: number;
  readonly panels: readonly CompiledPanel[];
  /** The real-time dashboard (10 s periods on high-resolution metrics). */
  readonly realtime: boolean;
}

export interface CompileOptions {
  /** More metrics the PromQL may name, besides the catalog's and `config.metrics.custom`. @default none */
  readonly customMetrics?: MetricDefinitions;
}

export const GRID_COLUMNS = 24;
export const MAX_DASHBOARD_NAME_LENGTH = 255;
/** Standard panels aggregate over 5 minutes; the real-time dashboard over 10 seconds. */
export const DEFAULT_WIDGET_PERIOD_SECONDS = 300;
export const REALTIME_PERIOD_SECONDS = 10;
const DEFAULT_RANGE_SECONDS = 3 * 3600;
const PANEL_TYPES: Readonly<Record<ConfigPanelType, PanelType>> = {
  graph: 'graph',
  timeseries: 'graph',
  singlestat: 'singlestat',
  stat: 'singlestat',
  gauge: 'gauge',
  table: 'table',
  text: 'text',
};
const PANEL_SIZE: Readonly<Record<PanelType, { width: number; height: number }>> = {
  graph: { width: 12, height: 6 },
  singlestat: { width: 6, height: 6 },
  gauge: { width: 6, height: 6 },
  table: { width: 12, height: 6 },
  text: { width: 24, height: 2 },
};
const REALTIME_PANEL_WIDTH = 8;

/** A configuration duration ('5s', '1h') in seconds; the message names the field. */
function durationSeconds(field: string, value: string): number {
  try {
    const seconds = parseDuration(value) / 1000;
    if (seconds > 0) return seconds;
  } catch {
    // worded below, with the field
  }
  throw new Error(`${field}: '${value}' is not a positive duration (use 5s, 1m, 1h)`);
}

/** A CloudWatch dashboard name from a title and an environment: `MAIF-System-Overview-prod`. */
export function dashboardName(title: string, environment: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  const env = clean(environment);
  const base = clean(title).slice(0, MAX_DASHBOARD_NAME_LENGTH - env.length - 1);
  const name = base ? `${base}-${env}` : env;
  if (!name) throw new Error(`dashboard '${title}': no valid name can be derived (use letters, digits, - or _)`);
  return name;
}

/** Flow layout: panels left to right, a new row when the next does not fit in 24 columns. */
function layout<T extends { width: number; height: number }>(items: readonly T[]): (T & { x: number; y: number })[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return items.map((item) => {
    if (x + item.width > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...item, x, y };
    x += item.width;
    rowHeight = Math.max(rowHeight, item.height);
    return placed;
  });
}

/** The catalog, plus the configuration's custom metrics, plus any given in the options. */
function knownMetrics(config: DashboardsConfig, options: CompileOptions): MetricDefinitions {
  const custom = config.metrics?.custom ?? [];
  if (custom.length === 0 && !options.customMetrics) return METRIC_CATALOG;
  const declared = Object.fromEntries(custom.map((m) => [m.name, { kind: m.kind, labels: m.labels ?? [] }]));
  return { ...METRIC_CATALOG, ...declared, ...options.customMetrics };
}

function translatePanel(
  where: string,
  panel: { title: string; targets: readonly DashboardTarget[] },
  config: DashboardsConfig,
  period: number,
  metrics: MetricDefinitions,
): TranslatedQuery[] {
  const ids = new IdAllocator();
  const queries = panel.targets.map((target, i) => {
    try {
      return translatePromQL(target.expr, {
        namespace: config.namespace,
        dimensions: { service: config.service, environment: config.environment },
        period,
        ids,
        label: target.legend ?? target.expr,
        metrics,
      });
    } catch (error) {
      throw new Error(`${where} panel '${panel.title}' target ${i + 1}: ${(error as Error).message}`);
    }
  });
  const count = queries.reduce((n, q) => n + q.metrics.length + (q.expression ? 1 : 0), 0);
  if (count > MAX_METRICS_PER_WIDGET) {
    throw new Error(
      `${where} panel '${panel.title}': ${count} metrics and expressions (at most ${MAX_METRICS_PER_WIDGET} per widget)`,
    );
  }
  return queries;
}

function compileDefinition(
  def: DashboardDefinition,
  config: DashboardsConfig,
  options: CompileOptions,
): CompiledDashboard {
  if (!def.title?.trim()) throw new Error(`dashboard title: '${def.title}' is empty (give every dashboard a title)`);
  const where = `dashboard '${def.title}'`;
  if (!def.panels?.length) throw new Error(`${where}: panels is empty (add at least one panel)`);
  const sized = def.panels.map((panel) => {
    const type = Object.hasOwn(PANEL_TYPES, panel.type) ? PANEL_TYPES[panel.type] : undefined;
    if (!type) {
      throw new Error(
        `${where} panel '${panel.title}': type '${panel.type}' is not supported (use ${Object.keys(PANEL_TYPES).join(', ')})`,
      );
    }
    const targets = panel.targets ?? [];
    if (type === 'text' && targets.length > 0) {
      throw new Error(`${where} panel '${panel.title}': a text panel has no targets (got ${targets.length})`);
    }
    if (type !== 'text' && targets.length === 0) {
      throw new Error(`${where} panel '${panel.title}': targets is empty (add a PromQL target)`);
    }
    const queries = translatePanel(where, panel, config, DEFAULT_WIDGET_PERIOD_SECONDS, knownMetrics(config, options));
    return { title: panel.title, type, queries, ...PANEL_SIZE[type] };
  });
  return {
    title: def.title,
    name: dashboardName(def.title, config.environment),
    namespace: config.namespace,
    environment: config.environment,
    period: DEFAULT_WIDGET_PERIOD_SECONDS,
    rangeSeconds: DEFAULT_RANGE_SECONDS,
    panels: layout(sized),
    realtime: false,
  };
}

function compileRealtime(config: DashboardsConfig, options: CompileOptions): CompiledDashboard {
  const realtime = config.realtime!;
  const known = Object.keys(REALTIME_METRICS);
  const title = `${config.service} real-time`;
  const where = `dashboard '${title}'`;
  const metrics = knownMetrics(config, options);
  const sized = realtime.metrics.map((metric) => {
    const panel = realtimePanel(metric, metrics);
    if (!panel) {
      throw new Error(
        `realtime.metrics: '${metric}' is not a real-time metric (did you mean ${nearestNames(metric, known)
          .map((k) => `'${k}'`)
          .join(', ')}? known: ${known.join(', ')})`,
      );
    }
    const queries = translatePanel(where, panel, config, REALTIME_PERIOD_SECONDS, metrics);
    return { title: panel.title, type: 'graph' as const, queries, width: REALTIME_PANEL_WIDTH, height: 6 };
  });
  return {
    title,
    name: dashboardName(title, config.environment),
    namespace: config.namespace,
    environment: config.environment,
    period: REALTIME_PERIOD_SECONDS,
    rangeSeconds: durationSeconds('realtime.retentionWindow', realtime.retentionWindow),
    refreshSeconds: durationSeconds('realtime.updateInterval', realtime.updateInterval),
    panels: layout(sized),
    realtime: true,
  };
}

/** Every dashboard of the configuration (the real-time one last), translated and laid out. */
export function compileDashboards(config: DashboardsConfig, options: CompileOptions = {}): CompiledDashboard[] {
  const out = config.dashboards.map((def) => compileDefinition(def, config, options));
  if (config.realtime?.metrics?.length) out.push(compileRealtime(config, options));
  const seen = new Map<string, string>();
  for (const d of out) {
    const other = seen.get(d.name);
    if (other !== undefined) {
      throw new Error(
        `dashboard '${d.title}': name '${d.name}' is already used by dashboard '${other}' (titles must differ)`,
      );
    }
    seen.set(d.name, d.title);
  }
  return out;
}
