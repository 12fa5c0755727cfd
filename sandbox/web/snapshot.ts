/**
 * `GET /api/snapshot`: everything the sandbox page shows, read from the running sandbox in one
 * go (the page polls it every second). Dashboards are evaluated over the last hour.
 */
import { matchesAll } from '../../domain/routing/silences';
import type { ClockSettings } from '../clock';
import { type DashboardData, dashboardData } from '../dashboard-data';
import type { JournalEntry, MatchableAlert, SandboxStats, SandboxView, TraceSummary } from '../types';

/** The time range of the page's dashboards. */
export const SNAPSHOT_RANGE_MS = 60 * 60_000;
export const SNAPSHOT_TRACES = 30;
export const SNAPSHOT_LOG_LINES = 50;

export interface Snapshot {
  readonly service: string;
  readonly environment: string;
  readonly scenario: SandboxView['scenario'];
  readonly clock: ClockSettings;
  /** Simulated epoch ms. */
  readonly now: number;
  readonly phase: string;
  readonly finished: boolean;
  readonly stats: SandboxStats;
  readonly alarms: ReturnType<SandboxView['alarms']>;
  readonly dashboards: readonly DashboardData[];
  readonly journal: readonly JournalEntry[];
  /** The last traces, newest last. */
  readonly traces: readonly TraceSummary[];
  /** The aggregated log tail, newest last. */
  readonly logs: readonly string[];
  /**
   * Alert fingerprint -> ids of the journal's silences whose matchers match that alert, matched
   * by the alerting code itself (the page shows them on the alert's timeline).
   */
  readonly silences: Readonly<Record<string, readonly string[]>>;
}

export function snapshot(view: SandboxView): Snapshot {
  const now = view.now();
  const journal = view.journal();
  return {
    service: view.service,
    environment: view.environment,
    scenario: view.scenario,
    clock: view.clock,
    now,
    phase: view.phase(),
    finished: view.finished(),
    stats: view.stats(),
    alarms: view.alarms(),
    dashboards: dashboardData(view.dashboards, view.metrics, now, SNAPSHOT_RANGE_MS),
    journal,
    traces: view.traces().slice(-SNAPSHOT_TRACES),
    logs: view.recentLogs().slice(-SNAPSHOT_LOG_LINES),
    silences: silencesByAlert(journal, view.alerts()),
  };
}

/** Every silence ever made, active or not: the timeline tells the alert's whole story. */
function silencesByAlert(
  journal: readonly JournalEntry[],
  alerts: ReadonlyMap<string, MatchableAlert>,
): Record<string, string[]> {
  const silences = journal.filter((e) => e.kind === 'silence');
  const out: Record<string, string[]> = {};
  if (silences.length === 0) return out;
  for (const [fingerprint, alert] of alerts) {
    const ids = silences.filter((s) => matchesAll(s.labelMatchers, alert)).map((s) => s.id);
    if (ids.length > 0) out[fingerprint] = ids;
  }
  return out;
}
