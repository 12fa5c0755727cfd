import {
  APPLICATION_METRIC_SETTINGS,
  type ApplicationMetricsConfig,
  ApplicationMonitor,
  BUSINESS_METRIC_SETTINGS,
} from '../../layers/instrumentation/application-monitor';
import { type CatalogMetricName, METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import { Metrics } from '../../layers/instrumentation/metrics';
import { instrument } from '../../layers/instrumentation/middleware';
import { emitted } from '../private/emf';
import { warningRecorder } from '../private/warnings';

function setup(config?: ApplicationMetricsConfig) {
  const lines: string[] = [];
  const { logger, warnings } = warningRecorder();
  const metrics = new Metrics({ namespace: 'Test', service: 'svc', sink: (l) => lines.push(l), rollup: false });
  const app = new ApplicationMonitor({ metrics, config, logger });
  return {
    app,
    warnings,
    flush: () => {
      metrics.flush();
      return emitted(lines.splice(0));
    },
  };
}

/** Calls every helper once with valid input. */
function useEverything(app: ApplicationMonitor): void {
  app.recordRequest({ operation: 'search', statusCode: 503, durationMs: 250 });
  app.artifactCreated({ type: 'document', sizeBytes: 2048, durationMs: 40 });
  app.artifactAccessed({ type: 'document', accessType: 'read' });
  app.setArtifactCount(12);
  app.searchPerformed({ index: 'docs', durationMs: 80, resultQuality: 0.9, cacheHit: true });
  app.searchPerformed({ index: 'docs', cacheHit: false });
  app.embeddingsGenerated({ model: 'minilm', count: 32, durationMs: 120 });
  app.similarityComputed({ model: 'minilm', count: 100 });
  app.indexUpdated({ index: 'docs', durationMs: 1500 });
  app.storageOperation({ operation: 'write', bytes: 4096, compressionRatio: 2.5 });
  app.storageOperation({ operation: 'read', bytes: 1024 });
  app.setStorageSize(1e9);
  app.setActiveUsers(42);
  app.sessionEnded(90_000);
  app.featureUsed('semantic_search');
  app.dataQuality({ check: 'accuracy', score: 0.97 });
  app.dataQuality({ check: 'completeness', score: 0.5 });
  app.dataQuality({ check: 'consistency', score: 1 });
}

const APP_GROUPS = ['requests', 'artifacts', 'search', 'embeddings', 'storage', 'business'] as const;
const namesOfGroup = (group: string) =>
  Object.entries(METRIC_CATALOG)
    .filter(([name, e]) => e.group === group && name !== 'cold_starts_total')
    .map(([name]) => name);

describe('ApplicationMonitor', () => {
  it('emits every application and business metric of the catalog with its unit and labels', () => {
    const { app, flush, warnings } = setup();

    useEverything(app);
    const out = flush();

    const names = new Set(out.map((e) => e.name));
    expect([...names].sort()).toEqual(APP_GROUPS.flatMap(namesOfGroup).sort());
    for (const e of out) {
      const entry = METRIC_CATALOG[e.name as CatalogMetricName];
      expect(e.unit).toBe(entry.unit);
      expect(Object.keys(e.labels).sort()).toEqual([...entry.labels].sort());
    }
    expect(warnings).toEqual([]);
  });

  it('labels requests by status class and counts 5xx and failed requests as errors', () => {
    const { app, flush } = setup();

    app.recordRequest({ operation: 'get', statusCode: 200, durationMs: 10 });
    app.recordRequest({ operation: 'get', statusCode: 404 });
    app.recordRequest({ operation: 'get', statusCode: 502 });
    app.recordRequest({ operation: 'get', error: true });
    const out = flush();

    const requests = out.filter((e) => e.name === 'http_requests_total');
    expect(requests.map((e) => [e.labels.status_class, e.value])).toEqual([
      ['2xx', 1],
      ['4xx', 1],
      ['5xx', 2],
    ]);
    expect(out.find((e) => e.name === 'http_request_errors_total')).toMatchObject({
      labels: { operation: 'get' },
      value: 2,
    });
  });

  it('converts milliseconds to seconds for the _seconds distributions', () => {
    const { app, flush } = setup();

    app.indexUpdated({ index: 'docs', durationMs: 1500 });
    app.sessionEnded(90_000);
    const out = flush();

    expect(out.find((e) => e.name === 'index_update_duration_seconds')?.value).toMatchObject({ Sum: 1.5, Count: 1 });
    expect(out.find((e) => e.name === 'session_duration_seconds')?.value).toMatchObject({ Sum: 90, Count: 1 });
  });

  it('reports data quality scores as percentages by check and cache hits by cache', () => {
    const { app, flush } = setup();

    app.dataQuality({ check: 'accuracy', score: 0.97 });
    app.searchPerformed({ index: 'docs', cacheHit: true, cache: 'query_cache' });
    const out = flush();

    expect(out.find((e) => e.name === 'data_quality_score')).toMatchObject({
      labels: { check: 'accuracy' },
      value: 97,
    });
    expect(out.find((e) => e.name === 'cache_hits')).toMatchObject({ labels: { cache: 'query_cache' }, value: 1 });
  });

  it.each(APP_GROUPS)('emits nothing for the %s group when it is off', (group) => {
    const config = (group === 'business' ? { business: false } : { [group]: false }) as ApplicationMetricsConfig;
    const { app, flush } = setup(config);

    useEverything(app);
    const names = new Set(flush().map((e) => e.name));

    for (const name of namesOfGroup(group)) expect(names).not.toContain(name);
    expect(names.size).toBeGreaterThan(0);
  });

  it('turns single settings off, down to one data quality check', () => {
    const { app, flush } = setup({
      requests: { error_rate: false },
      storage: { write_operations: false, compression_ratio: false },
      business: { data_quality: { completeness_metrics: false }, user_activity: false },
    });

    useEverything(app);
    const out = flush();

    const names = new Set(out.map((e) => e.name));
    expect(names).not.toContain('http_request_errors_total');
    expect(names).not.toContain('compression_ratio');
    expect(names).not.toContain('active_users');
    expect(out.filter((e) => e.name === 'storage_operations_total').map((e) => e.labels.operation)).toEqual(['read']);
    expect(
      out
        .filter((e) => e.name === 'data_quality_score')
        .map((e) => e.labels.check)
        .sort(),
    ).toEqual(['accuracy', 'consistency']);
  });

  it('registers no instrument at all with everything off', () => {
    const off = Object.fromEntries([...Object.keys(APPLICATION_METRIC_SETTINGS), 'business'].map((g) => [g, false]));
    const { app, flush } = setup(off as ApplicationMetricsConfig);

    useEverything(app);

    expect(app.settings.size).toBe(0);
    expect(flush()).toEqual([]);
  });

  it('maps every setting of the MAIF monitoring guide to catalog metrics', () => {
    const all = [...Object.values(APPLICATION_METRIC_SETTINGS), ...Object.values(BUSINESS_METRIC_SETTINGS)].flatMap(
      (group) => Object.values(group).flat(),
    );
    for (const name of all) expect(Object.keys(METRIC_CATALOG)).toContain(name);
  });

  it.each([
    [
      { requests: { latency: true } },
      /config\.requests\.latency is not a known setting \(use rate, duration, status_codes, error_rate\)/,
    ],
    [
      { queues: true },
      /config\.queues is not a known group \(use requests, artifacts, search, embeddings, storage, business\)/,
    ],
    [
      { business: { user_activity: { active_users: 'yes' } } },
      /config\.business\.user_activity\.active_users "yes" is not allowed \(use true or false\)/,
    ],
    [{ search: 3 }, /config\.search 3 is not allowed \(use true, false or an object\)/],
  ])('rejects %j at construction naming the field', (config, message) => {
    expect(() => setup(config as never)).toThrow(message);
  });

  it('drops invalid values with one warning each and never throws', () => {
    const { app, flush, warnings } = setup();

    app.searchPerformed({ index: 'docs', resultQuality: 1.5 });
    app.searchPerformed({ index: 'docs', resultQuality: 1.5 });
    app.dataQuality({ check: 'freshness' as never, score: 0.5 });
    app.setActiveUsers(Number.NaN);
    app.storageOperation({ operation: 'delete' as never, bytes: 1 });
    app.embeddingsGenerated({ model: 'm', count: -3 });
    app.recordRequest(undefined as never);
    const out = flush();

    expect(out.map((e) => e.name)).toEqual(['search_queries_total']);
    expect(out[0].value).toBe(2);
    expect(warnings.map((w) => w.fields?.metric)).toEqual([
      'searchPerformed',
      'dataQuality',
      'active_users',
      'storageOperation',
      'embeddings_generated_total',
      'recordRequest',
    ]);
    expect(warnings[0]).toEqual({
      event: 'application_metric_dropped',
      fields: { metric: 'searchPerformed', reason: 'resultQuality 1.5 is not allowed (use a number from 0 to 1)' },
    });
  });

  it('shares the request instruments with the instrument() middleware on the same Metrics', async () => {
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: 'Test', service: 'svc', sink: (l) => lines.push(l), rollup: false });
    const app = new ApplicationMonitor({ metrics });
    const handler = instrument({ metrics, operation: 'op' })(async () => ({ statusCode: 200 }));

    app.recordRequest({ operation: 'op', statusCode: 200 });
    await handler({}, { functionName: 'fn' }); // the middleware flushes at the end of the invocation

    expect(
      emitted(lines)
        .filter((e) => e.name === 'http_requests_total')
        .map((e) => e.value),
    ).toEqual([2]);
  });
});
