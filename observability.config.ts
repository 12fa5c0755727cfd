/**
 * The observability configuration of MAIF: every setting of the MAIF monitoring guide, typed.
 * `npx cdk synth -c env=prod` resolves the `prod` environment (overrides merged over the base,
 * defaults applied) and fails at synth with one line per problem when something is wrong.
 */
import { defineConfig } from './domain/config';

/** The guide's `labels={"team": ..., "service": "maif"}` on every alert rule. */
const platform = { team: 'platform', service: 'maif' } as const;

export default defineConfig({
  service: 'maif',
  namespace: 'MAIF',

  // Each environment subscribes its own log groups (logging.logGroups), so dev never ingests prod's
  // logs: the synth fails when two environments name the same log group. prod's are the guide's.
  environments: {
    dev: {
      logging: {
        level: 'DEBUG',
        retention: '1w',
        debugSampleRate: 1,
        logGroups: ['/aws/lambda/maif-dev-*', '/aws/maif/dev'],
      },
      tracing: { sampling: { default: 1 } },
      alerting: { grouping: { repeat_interval: '1h' } },
    },
    staging: {
      logging: { retention: '2w', logGroups: ['/aws/lambda/maif-staging-*', '/aws/maif/staging'] },
      tracing: { sampling: { default: 0.5 } },
    },
    prod: {
      lambda: { memoryMb: 512 },
      metrics: { detailedMonitoring: true },
      logging: { retention: '3mo', logGroups: ['/aws/lambda/maif-*', '/aws/maif/production'] },
    },
  },

  lambda: { runtime: 'nodejs24.x', architecture: 'arm64', memoryMb: 256 },

  metrics: {
    // MetricsCollector(collection_interval="30s", retention_period="30d", export_format="prometheus"):
    // on AWS the kit writes EMF; the Prometheus exposition stays available with exportFormat: 'prometheus'.
    collectionInterval: '30s',
    retentionPeriod: '30d',
    exportFormat: 'emf',
    detailedMonitoring: true,
    system: {
      // Instrumented functions sample memory_usage and disk_usage (/tmp) once per collectionInterval,
      // so the guide's disk_space_low and memory_leak rules have a metric to read in Lambda.
      lambda: true,
      cpu: { utilization: true, load_average: true, context_switches: true, interrupts: true },
      memory: { usage: true, available: true, swap_usage: true, page_faults: true },
      disk: { usage: true, io_operations: true, throughput: true, latency: true },
      network: { bandwidth: true, packets: true, errors: true, connections: true },
    },
    application: {
      requests: { rate: true, duration: true, status_codes: true, error_rate: true },
      artifacts: { count: true, size_distribution: true, creation_rate: true, access_patterns: true },
      search: { query_rate: true, response_time: true, result_quality: true, cache_hit_ratio: true },
      embeddings: { generation_rate: true, processing_time: true, similarity_computations: true, index_updates: true },
      storage: { read_operations: true, write_operations: true, data_size: true, compression_ratio: true },
    },
    business: {
      user_activity: { active_users: true, session_duration: true, feature_usage: true },
      data_quality: { accuracy_scores: true, completeness_metrics: true, consistency_checks: true },
    },
    custom: [
      {
        name: 'documents_processed_total',
        kind: 'counter',
        description: 'Total number of documents processed',
        labels: ['document_type', 'processing_stage'],
      },
      {
        name: 'active_connections',
        kind: 'gauge',
        description: 'Number of active client connections',
        labels: ['client_type', 'region'],
      },
      {
        name: 'semantic_search_duration_seconds',
        kind: 'histogram',
        description: 'Time spent on semantic search operations',
        unit: 'Seconds',
        buckets: [0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0],
        labels: ['query_complexity', 'index_size'],
      },
      {
        name: 'embedding_similarity_scores',
        kind: 'summary',
        description: 'Distribution of embedding similarity scores',
        quantiles: [0.5, 0.9, 0.95, 0.99],
        labels: ['embedding_model', 'data_type'],
      },
    ],
    // Troubleshooting: "Avoid high cardinality labels".
    cardinality: { maxSeriesPerMetric: 10_000, cardinalityWarningThreshold: 5_000 },
  },

  logging: {
    level: 'INFO',
    retention: '30d',
    debugSampleRate: 0.01,
    includeTraceId: true,
    redact: ['authorization', 'cookie', 'password', 'secret', 'token'],
    // logGroups: set per environment above (a list here would be subscribed by every environment).
    aggregation: { bufferSize: '10MB', flushInterval: '30s', compression: true },
    sources: [
      {
        name: 'application_logs',
        path: '/logs/maif-app-*.log',
        parser: 'json',
        tags: { component: 'application', environment: 'production' },
      },
      {
        name: 'system_logs',
        path: '/var/log/system.log',
        parser: 'syslog',
        tags: { component: 'system', environment: 'production' },
      },
      {
        name: 'access_logs',
        path: '/logs/access.log',
        parser: 'nginx',
        tags: { component: 'nginx', environment: 'production' },
      },
    ],
    processingRules: [
      // The guide's `lookup_user_metadata`: join the users table on user_id.
      {
        name: 'enrich_user_context',
        condition: 'user_id exists',
        action: 'enrich',
        field: 'user_id',
        table: 'users',
        target: 'user',
      },
      {
        name: 'detect_errors',
        condition: "level == 'ERROR'",
        action: 'trigger_alert',
        severity: 'warning',
        labels: { team: 'platform' },
      },
      // The guide's `generate_metric`: one count per event, by operation.
      {
        name: 'extract_metrics',
        condition: 'operation exists',
        action: 'extract_metric',
        metric: 'log_operations_total',
        dimensions: ['operation'],
      },
    ],
    lookupTables: {
      users: {
        'u-1': { plan: 'pro', region: 'eu' },
      },
    },
  },

  tracing: {
    sampling: { default: 0.1, high_priority: 1.0, background_tasks: 0.01 },
    propagation: ['jaeger', 'b3', 'w3c'],
    autoInstrumentation: true,
    exporters: [
      { type: 'xray' },
      // The guide's http://jaeger:14268/api/traces takes Thrift; Jaeger's collector takes Zipkin v2 JSON on 9411.
      { type: 'jaeger', endpoint: 'http://jaeger:9411/api/v2/spans' },
      { type: 'zipkin', endpoint: 'http://zipkin:9411/api/v2/spans' },
      { type: 'console', enabled: false },
    ],
    performance: {
      detailedTiming: true,
      memoryTracking: true,
      cpuProfiling: true,
      track: { memory_allocations: true, cpu_usage: true, io_operations: true, network_calls: true },
      thresholds: { slow_operation: '1s', memory_spike: '100MB', high_cpu: '80%', io_bottleneck: '100ms' },
    },
  },

  healthChecks: {
    schedule: '1m',
    targets: [
      { name: 'api', type: 'https', url: 'https://api.example.com/health', expectStatus: 200, timeout: '5s' },
      { name: 'search-fn', type: 'lambda', functionName: 'maif-search', payload: { ping: true }, timeout: '5s' },
    ],
  },

  dashboards: [
    {
      title: 'MAIF System Overview',
      panels: [
        {
          title: 'Request Rate',
          type: 'graph',
          targets: [{ expr: 'rate(http_requests_total[5m])', legend: 'Requests/sec' }],
        },
        {
          title: 'Response Time',
          type: 'graph',
          targets: [
            { expr: 'histogram_quantile(0.95, http_request_duration_seconds_bucket)', legend: '95th percentile' },
            { expr: 'histogram_quantile(0.50, http_request_duration_seconds_bucket)', legend: '50th percentile' },
          ],
        },
        {
          title: 'Error Rate',
          type: 'singlestat',
          targets: [
            {
              expr: "rate(http_requests_total{status=~'5..'}[5m]) / rate(http_requests_total[5m])",
              legend: 'Error Rate',
            },
          ],
        },
        {
          title: 'Active Users',
          type: 'singlestat',
          targets: [{ expr: 'active_users', legend: 'Active Users' }],
        },
      ],
    },
    {
      title: 'MAIF Application Performance',
      panels: [
        {
          title: 'Artifact Operations',
          type: 'graph',
          targets: [
            { expr: 'rate(artifacts_created_total[5m])', legend: 'Created/sec' },
            { expr: 'rate(artifacts_accessed_total[5m])', legend: 'Accessed/sec' },
          ],
        },
        {
          title: 'Search Performance',
          type: 'graph',
          targets: [
            { expr: 'rate(search_queries_total[5m])', legend: 'Queries/sec' },
            { expr: 'histogram_quantile(0.95, search_duration_seconds_bucket)', legend: '95th percentile latency' },
          ],
        },
        {
          title: 'Cache Hit Ratio',
          type: 'singlestat',
          targets: [{ expr: 'cache_hits / (cache_hits + cache_misses)', legend: 'Hit Ratio' }],
        },
      ],
    },
  ],

  realtime: {
    updateInterval: '5s',
    retentionWindow: '1h',
    metrics: [
      'current_active_users',
      'requests_per_second',
      'average_response_time',
      'error_rate',
      'cpu_utilization',
      'memory_usage',
      'active_connections',
      'queue_length',
    ],
    alerts: [
      { metric: 'error_rate', threshold: 10, condition: 'greater_than', action: 'immediate_notification' },
      // 5 seconds, in milliseconds as the guide writes it.
      { metric: 'response_time', threshold: 5000, condition: 'greater_than', action: 'performance_alert' },
    ],
  },

  alerting: {
    rules: [
      {
        name: 'high_error_rate',
        description: 'Error rate exceeds threshold',
        condition: 'error_rate > 5%',
        duration: '5m',
        severity: 'warning',
        labels: platform,
        runbook: 'https://runbooks.maif.example.com/high-error-rate',
      },
      {
        name: 'system_down',
        description: 'System is not responding',
        condition: 'up == 0',
        duration: '1m',
        severity: 'critical',
        labels: platform,
        runbook: 'https://runbooks.maif.example.com/system-down',
      },
      {
        name: 'high_latency',
        description: 'Response time is too high',
        condition: 'response_time_p95 > 2s',
        duration: '10m',
        severity: 'warning',
        labels: platform,
        runbook: 'https://runbooks.maif.example.com/high-latency',
      },
      {
        // Traffic, the fourth golden signal: the guide alerts on errors, latency and saturation only.
        name: 'no_traffic',
        description: 'MAIF receives no requests',
        condition: 'rate(http_requests_total) < 0.01',
        duration: '15m',
        severity: 'warning',
        labels: platform,
        runbook: 'https://runbooks.maif.example.com/no-traffic',
      },
      {
        name: 'disk_space_low',
        description: 'Disk space is running low',
        condition: 'disk_usage > 85%',
        duration: '15m',
        severity: 'warning',
        labels: { team: 'infrastructure', service: 'maif' },
        runbook: 'https://runbooks.maif.example.com/disk-space-low',
      },
      {
        name: 'memory_leak',
        description: 'Memory usage continuously increasing',
        condition: 'memory_usage increase > 10% in 1h',
        duration: '30m',
        severity: 'warning',
        labels: platform,
        runbook: 'https://runbooks.maif.example.com/memory-leak',
      },
    ],
    // Secret values (the Slack webhook URL, the PagerDuty key) live in Secrets Manager; name them here.
    channels: {
      email: {
        smtpServer: 'smtp.company.com',
        recipients: ['platform-team@company.com'],
        template: 'alert_email_template',
      },
      slack: { channel: '#alerts', webhookSecret: 'maif/slack-webhook', template: 'alert_slack_template' },
      pagerduty: { routingKeySecret: 'maif/pagerduty', serviceId: 'your-service-id' },
    },
    escalation: true,
    routing: [
      {
        condition: "severity == 'critical'",
        actions: [
          { type: 'notify', channels: ['pagerduty', 'slack'] },
          { type: 'escalate', delay: '15m', to: 'on_call_manager' },
        ],
      },
      {
        condition: "severity == 'warning' and team == 'platform'",
        actions: [
          { type: 'notify', channels: ['slack'] },
          { type: 'escalate', delay: '1h', to: 'platform_team' },
        ],
      },
      {
        condition: "labels.service == 'maif' and business_hours == false",
        actions: [
          { type: 'notify', channels: ['pagerduty'] },
          { type: 'suppress', duration: '30m', similarAlerts: true },
        ],
      },
      {
        // Alarms this stack did not create (no trusted metadata) reach Slack as foreign alerts.
        condition: "labels.foreign == 'true'",
        actions: [{ type: 'notify', channels: ['slack'] }],
      },
    ],
    suppression: [
      { name: 'maintenance_window', condition: 'maintenance_mode == true', action: 'suppress_all' },
      { name: 'duplicate_alerts', condition: 'same_alert_within_10m', action: 'group_and_suppress' },
    ],
    // Troubleshooting: "Alert Fatigue".
    grouping: { group_by: ['service', 'severity'], group_wait: '30s', group_interval: '5m', repeat_interval: '12h' },
    // Who the routing rules' `escalate` actions reach.
    escalationTargets: {
      on_call_manager: { channels: ['pagerduty', 'email'] },
      platform_team: { channels: ['email', 'slack'] },
    },
    repeat: 2,
    businessHours: {
      timeZone: 'Europe/Paris',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '09:00',
      end: '18:00',
      holidays: ['2026-12-25', '2027-01-01'],
    },
    // A critical alert mutes the warnings of the same service it explains.
    inhibition: [{ source: "severity == 'critical'", target: "severity == 'warning'", equal: ['service'] }],
    ackLinkExpiry: '24h',
    baselines: {
      search_latency_p95: '100ms',
      artifact_creation_time: '500ms',
      embedding_generation_time: '200ms',
      index_update_time: '1s',
    },
    performance: {
      baselineCollectionPeriod: '7d',
      anomalyDetection: true,
      regressionDetection: true,
      alerts: [
        {
          name: 'performance_regression',
          condition: 'current_performance < baseline * 0.8',
          action: 'alert_performance_team',
        },
        { name: 'performance_anomaly', condition: 'anomaly_score > 0.8', action: 'investigate_anomaly' },
      ],
    },
    slos: [
      { name: 'availability', description: 'Requests served without a 5xx', sli: 'availability', objective: '99.9%' },
      {
        name: 'latency',
        description: 'Requests answered within 2s',
        sli: 'latency',
        objective: '99%',
        latencyThreshold: '2s',
      },
    ],
  },
});
