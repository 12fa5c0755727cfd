/** What the CDK bundles into the baseline monitor: the metrics to learn and the regression alert. */
export interface BaselineTarget {
  /** The configuration's name: `search_latency_p95`. */
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `p95`, `Average`... */
  readonly stat: string;
  /** The configured baseline in seconds, used until 7 days of data exist. */
  readonly staticSeconds: number;
}

export interface BaselineMonitorConfig {
  readonly baselines: readonly BaselineTarget[];
  /**
   * The regression alert of `alerting.performance.alerts`; absent: baselines are learned and
   * published, no alert is raised.
   */
  readonly regression?: { readonly name: string; readonly factor: number; readonly action: string };
}
