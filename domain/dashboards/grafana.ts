/**
 * Grafana dashboard JSON for a compiled dashboard, on the CloudWatch data source (for Amazon
 * Managed Grafana users): the same panels, layout and queries as the CloudWatch dashboard.
 */
import { shortenWithHash } from '../shorten';
import type { CompiledDashboard, CompiledPanel, PanelType } from './model';
import type { MetricStat, TranslatedQuery } from './translate';

/** The dashboard JSON schema version written (Grafana 10.4 / 11). */
export const GRAFANA_SCHEMA_VERSION = 39;
/** Grafana dashboard uids are at most 40 characters. */
export const MAX_GRAFANA_UID_LENGTH = 40;
/** The data source variable used when no `datasourceUid` is given. */
export const DATASOURCE_VARIABLE = 'datasource';

/** The CloudWatch plugin's `metricQueryType` (0 = Metric Search) and `metricEditorMode` (0 = Builder, 1 = Code). */
const METRIC_SEARCH = 0;
const EDITOR_BUILDER = 0;
const EDITOR_CODE = 1;

export interface GrafanaExportOptions {
  /** AWS region of the metrics, e.g. 'eu-west-1'. */
  readonly region: string;
  /**
   * Uid of the CloudWatch data source in Grafana.
   * @default - a `${datasource}` dashboard variable: pick the data source when importing
   */
  readonly datasourceUid?: string;
}

export interface GrafanaDatasourceRef {
  readonly type: 'cloudwatch';
  readonly uid: string;
}

export interface GrafanaCloudWatchTarget {
  readonly refId: string;
  readonly datasource: GrafanaDatasourceRef;
  readonly queryMode: 'Metrics';
  readonly metricQueryType: number;
  readonly metricEditorMode: number;
  readonly region: string;
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: string;
  readonly period: string;
  readonly expression: string;
  readonly matchExact: boolean;
  readonly label: string;
  readonly hide: boolean;
}

export type GrafanaPanelType = 'timeseries' | 'stat' | 'gauge' | 'table' | 'text';

const GRAFANA_PANEL_TYPES: Readonly<Record<PanelType, GrafanaPanelType>> = {
  graph: 'timeseries',
  singlestat: 'stat',
  gauge: 'gauge',
  table: 'table',
  text: 'text',
};
const LAST_VALUE = { calcs: ['lastNotNull'], fields: '', values: false } as const;

function panelOptions(panel: CompiledPanel): Record<string, unknown> {
  switch (panel.type) {
    case 'singlestat':
      return { reduceOptions: LAST_VALUE, graphMode: 'area', colorMode: 'value', textMode: 'auto' };
    case 'gauge':
      return { reduceOptions: LAST_VALUE, showThresholdLabels: false, showThresholdMarkers: true };
    case 'table':
      return { showHeader: true };
    case 'text':
      return { mode: 'markdown', content: `## ${panel.title}` };
    case 'graph':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi' } };
  }
}

export interface GrafanaPanel {
  readonly id: number;
  readonly type: GrafanaPanelType;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: GrafanaDatasourceRef;
  readonly targets: readonly GrafanaCloudWatchTarget[];
  readonly fieldConfig: { readonly defaults: Record<string, unknown>; readonly overrides: readonly unknown[] };
  readonly options: Record<string, unknown>;
}

export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly version: number;
  readonly editable: boolean;
  readonly timezone: string;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly Record<string, unknown>[] };
  readonly panels: readonly GrafanaPanel[];
}

const TIME_UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const;

/** 10800 -> '3h', 90 -> '90s': the largest unit that divides exactly. */
function grafanaDuration(seconds: number): string {
  for (const [unit, size] of TIME_UNITS) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${Math.round(seconds)}s`;
}

/** A valid Grafana uid from a dashboard name; long names keep a hash so they stay distinct. */
export function grafanaUid(name: string): string {
  return shortenWithHash(name, MAX_GRAFANA_UID_LENGTH, { hashLength: 8 });
}

/** A, B, ..., Z, AA, AB, ... */
function refId(index: number): string {
  let n = index;
  let out = '';
  do {
    out = String.fromCharCode(65 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

function metricTarget(
  m: MetricStat,
  query: TranslatedQuery,
  ref: string,
  ds: GrafanaDatasourceRef,
  region: string,
): GrafanaCloudWatchTarget {
  const shown = query.expression === undefined;
  return {
    refId: ref,
    datasource: ds,
    queryMode: 'Metrics',
    metricQueryType: METRIC_SEARCH,
    metricEditorMode: EDITOR_BUILDER,
    region,
    id: m.id,
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: { ...m.dimensions },
    statistic: m.stat,
    period: String(m.period),
    expression: '',
    matchExact: true,
    label: shown ? query.label : '',
    hide: !shown,
  };
}

function expressionTarget(
  query: TranslatedQuery,
  ref: string,
  ds: GrafanaDatasourceRef,
  region: string,
): GrafanaCloudWatchTarget {
  return {
    refId: ref,
    datasource: ds,
    queryMode: 'Metrics',
    metricQueryType: METRIC_SEARCH,
    metricEditorMode: EDITOR_CODE,
    region,
    id: query.id,
    namespace: '',
    metricName: '',
    dimensions: {},
    statistic: '',
    period: String(query.period),
    expression: query.expression ?? '',
    matchExact: true,
    label: query.label,
    hide: false,
  };
}

function panelOf(panel: CompiledPanel, index: number, ds: GrafanaDatasourceRef, region: string): GrafanaPanel {
  const targets: GrafanaCloudWatchTarget[] = [];
  for (const query of panel.queries) {
    for (const m of query.metrics) targets.push(metricTarget(m, query, refId(targets.length), ds, region));
    if (query.expression !== undefined) targets.push(expressionTarget(query, refId(targets.length), ds, region));
  }
  return {
    id: index + 1,
    type: GRAFANA_PANEL_TYPES[panel.type],
    title: panel.title,
    gridPos: { x: panel.x, y: panel.y, w: panel.width, h: panel.height },
    datasource: ds,
    targets,
    fieldConfig: { defaults: panel.type === 'gauge' ? { min: 0, max: 100 } : {}, overrides: [] },
    options: panelOptions(panel),
  };
}

/** The Grafana dashboard JSON of one compiled dashboard (import it, or POST it to /api/dashboards/db). */
export function toGrafanaDashboard(dashboard: CompiledDashboard, options: GrafanaExportOptions): GrafanaDashboard {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(options.region)) {
    throw new Error(`region: '${options.region}' is not an AWS region (e.g. eu-west-1)`);
  }
  const ds: GrafanaDatasourceRef = { type: 'cloudwatch', uid: options.datasourceUid ?? `\${${DATASOURCE_VARIABLE}}` };
  const templating = options.datasourceUid
    ? []
    : [
        {
          name: DATASOURCE_VARIABLE,
          label: 'CloudWatch',
          type: 'datasource',
          query: 'cloudwatch',
          current: {},
          hide: 0,
          refresh: 1,
          options: [],
        },
      ];
  return {
    uid: grafanaUid(dashboard.name),
    // Grafana wants unique titles in a folder: one copy per environment.
    title: `${dashboard.title} (${dashboard.environment})`,
    tags: ['maif-observability', dashboard.environment, ...(dashboard.realtime ? ['real-time'] : [])],
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    editable: true,
    timezone: 'browser',
    refresh: dashboard.refreshSeconds ? grafanaDuration(dashboard.refreshSeconds) : '',
    time: { from: `now-${grafanaDuration(dashboard.rangeSeconds)}`, to: 'now' },
    templating: { list: templating },
    panels: dashboard.panels.map((p, i) => panelOf(p, i, ds, options.region)),
  };
}
