/**
 * The sandbox's local Lambda running the real demo service: bundled with esbuild, each function in
 * worker-thread execution environments on a simulated clock that starts a year before today. The
 * X-Ray daemon is the tests' UDP listener; the log streams are what `onLogLine` receives.
 */

import { loadConfig } from '../../domain/config/load';
import { ingestEmf } from '../../domain/evaluator/store';
import { compileAlerting } from '../../domain/rules/alarms';
import { highResolutionMetrics } from '../../domain/rules/compile';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { type ClockSettings, SimClock } from '../../sandbox/clock';
import { DEMO_FUNCTIONS, type InvokeResult, LocalLambda, type LogLineEvent } from '../../sandbox/runtime/lambda';
import { seededRandom } from '../../sandbox/scenarios';
import { demoRequest } from '../../sandbox/service/requests';
import { startXRayDaemon, type XRayDaemon, type XRayDocument } from '../private/xray-daemon';

const CREATE = 'maif-create-artifact';
const SEARCH = 'maif-semantic-search';
const EMBED = 'maif-generate-embedding';
const DAY = 86_400_000;
/**
 * Simulated ms a function's clock may read apart from the test's: the environment reads the wall
 * clock through performance.timeOrigin + now(), the test through Date.now() (1 real ms = 60 here).
 */
const CLOCK_SKEW_MS = 1000;
/** The metrics of the compiled alarms that this service (not the probes, system monitor or baseline) emits. */
const SERVICE_ALARM_METRICS = [
  'http_requests_total',
  'http_request_errors_total',
  'http_request_duration_seconds',
  'search_duration_seconds',
  'artifact_creation_duration_seconds',
  'embedding_generation_duration_seconds',
  'index_update_duration_seconds',
];
/** Dashboard metrics the service emits as well. */
const DASHBOARD_METRICS = [
  'artifacts_created_total',
  'artifacts_accessed_total',
  'search_queries_total',
  'active_users',
  'cold_starts_total',
];

const config = loadConfig('observability.config.ts', 'dev', `${__dirname}/../..`);
const { sampling } = config.tracing;
/** What the stack's instrumentFunction sets on a function for this environment. */
const env: Record<string, string> = {
  [INSTRUMENTATION_ENV.service]: config.service,
  [INSTRUMENTATION_ENV.namespace]: config.namespace,
  [INSTRUMENTATION_ENV.environment]: config.environment,
  [INSTRUMENTATION_ENV.logLevel]: config.logging.level,
  [INSTRUMENTATION_ENV.traceSampling]: JSON.stringify(sampling),
};

const settings: ClockSettings = {
  simStartMs: Date.UTC(new Date().getUTCFullYear() - 1, 0, 1),
  realStartMs: Date.now(),
  speed: 60,
};
const clock = new SimClock(settings);
const random = seededRandom(5);
const request = (fn: string, fault?: string) => demoRequest(fn, { random, now: clock.now(), fault });

let daemon: XRayDaemon;
let lambda: LocalLambda;
const lines: LogLineEvent[] = [];
const results = new Map<string, InvokeResult>();
/** Request id -> the test's simulated clock just before and just after the invocation. */
const windows = new Map<string, { readonly from: number; readonly to: number }>();

/** The lines of one invocation's log stream, from its START to its REPORT. */
function invocationLines(requestId: string): LogLineEvent[] {
  const start = lines.findIndex((l) => l.message === `START RequestId: ${requestId} Version: $LATEST`);
  if (start < 0) throw new Error(`no START line for ${requestId}`);
  const stream = lines[start].logStream;
  const out: LogLineEvent[] = [];
  for (const line of lines.slice(start)) {
    if (line.logStream !== stream) continue;
    out.push(line);
    if (line.message.startsWith(`REPORT RequestId: ${requestId}`)) return out;
  }
  throw new Error(`no REPORT line for ${requestId}`);
}

const traceIdOf = (requestId: string): string => {
  const report = invocationLines(requestId).at(-1)?.message ?? '';
  return /XRAY TraceId: (\S+)/.exec(report)?.[1] ?? '';
};

const jsonLines = (requestId: string) =>
  invocationLines(requestId)
    .filter((l) => l.message.startsWith('{"timestamp"'))
    .map((l) => JSON.parse(l.message) as Record<string, unknown>);

const emfLines = (requestId: string) => invocationLines(requestId).filter((l) => l.message.startsWith('{"_aws"'));

/** Waits until the daemon has received documents matching `predicate`; each next document is awaited (bounded). */
async function received(predicate: (docs: readonly XRayDocument[]) => boolean): Promise<XRayDocument[]> {
  while (!predicate(daemon.documents)) await daemon.waitFor(daemon.documents.length + 1);
  return daemon.documents;
}

async function invoke(key: string, fn: string, fault?: string): Promise<InvokeResult> {
  const from = clock.now();
  const result = await lambda.invoke(fn, request(fn, fault));
  windows.set(result.requestId, { from, to: clock.now() });
  results.set(key, result);
  return result;
}

/** Expects `ms` to be a simulated time within the invocation: a bound that does not depend on how busy the host is. */
function expectDuring(requestId: string, ms: number): void {
  const { from, to } = windows.get(requestId) as { from: number; to: number };
  expect(ms).toBeGreaterThanOrEqual(from - CLOCK_SKEW_MS);
  expect(ms).toBeLessThanOrEqual(to + CLOCK_SKEW_MS);
}

beforeAll(async () => {
  daemon = await startXRayDaemon();
  lambda = await LocalLambda.start({
    functions: DEMO_FUNCTIONS,
    clock: settings,
    xrayDaemonAddress: daemon.address,
    env,
    onLogLine: (line) => lines.push(line),
  });
  for (const fn of [CREATE, SEARCH, EMBED]) await invoke(`first ${fn}`, fn);
  for (const fn of [CREATE, SEARCH, EMBED]) await invoke(fn, fn);
  await invoke('error', CREATE, 'error');
});

afterAll(async () => {
  await lambda?.stop();
  await daemon?.close();
});

describe('LocalLambda running the demo service', () => {
  it.each([CREATE, SEARCH, EMBED])(
    '%s writes START, its lines with the trace id, EMF in simulated time, END and REPORT',
    (fn) => {
      const result = results.get(fn) as InvokeResult;
      expect(result).toMatchObject({ ok: true, coldStart: false });
      expect([200, 201]).toContain(result.statusCode);

      const stream = invocationLines(result.requestId);
      const traceId = traceIdOf(result.requestId);
      expect(stream[0].message).toBe(`START RequestId: ${result.requestId} Version: $LATEST`);
      expect(stream.at(-2)?.message).toBe(`END RequestId: ${result.requestId}`);
      expect(stream.at(-1)?.message).toMatch(
        /^REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\t\nXRAY TraceId: 1-[0-9a-f]{8}-[0-9a-f]{24}\tSegmentId: [0-9a-f]{16}\tSampled: true\t$/,
      );
      expect(stream.every((l) => l.logGroup === `/aws/lambda/${fn}` && l.functionName === fn)).toBe(true);
      const logs = jsonLines(result.requestId);
      expect(logs.length).toBeGreaterThan(0);
      for (const log of logs) expect(log).toMatchObject({ trace_id: traceId, request_id: result.requestId });
      // the stream's times rise, and they are simulated: within the invocation on the simulated clock, a year away from the wall clock
      const times = stream.map((l) => l.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const emf = emfLines(result.requestId).map((l) => JSON.parse(l.message)._aws.Timestamp as number);
      expect(emf.length).toBeGreaterThan(0);
      for (const timestamp of emf) {
        expectDuring(result.requestId, timestamp);
        expect(Math.abs(timestamp - Date.now())).toBeGreaterThan(300 * DAY);
      }
    },
  );

  it("emits the alarms' metrics under their namespace and dimensions, the real-time ones at high resolution", () => {
    const { specs } = compileAlerting(config);
    const read = specs.flatMap((s) => s.metrics);
    const rollup = { service: config.service, environment: config.environment };
    const documents = lines.filter((l) => l.message.startsWith('{"_aws"')).map((l) => l.message);
    const series = documents.flatMap((line) => ingestEmf(line));
    for (const name of SERVICE_ALARM_METRICS) {
      expect(read).toContainEqual(
        expect.objectContaining({ namespace: config.namespace, metricName: name, dimensions: rollup }),
      );
      expect(series).toContainEqual(
        expect.objectContaining({ namespace: config.namespace, metricName: name, dimensions: rollup }),
      );
    }
    for (const name of DASHBOARD_METRICS) {
      expect(series).toContainEqual(expect.objectContaining({ metricName: name, dimensions: rollup }));
    }
    const resolution = new Map<string, number>();
    for (const line of documents) {
      for (const m of JSON.parse(line)._aws.CloudWatchMetrics[0].Metrics)
        resolution.set(m.Name, m.StorageResolution ?? 60);
    }
    const realtime = highResolutionMetrics(config).filter((name) => resolution.has(name));
    expect(realtime).toEqual(
      expect.arrayContaining(['http_requests_total', 'http_request_errors_total', 'http_request_duration_seconds']),
    );
    for (const name of realtime) expect([name, resolution.get(name)]).toEqual([name, 1]);
  });

  it('answers 500 and logs at ERROR with the error when the backend fails', () => {
    const result = results.get('error') as InvokeResult;
    expect(result).toMatchObject({ ok: true, statusCode: 500 });
    const error = jsonLines(result.requestId).find((l) => l.level === 'ERROR');
    expect(error).toMatchObject({
      event: 'artifact_creation_failed',
      operation: 'create_artifact',
      status: 'error',
      error: { type: 'BackendUnavailableError', code: 'ECONNRESET' },
    });
    const errors = emfLines(result.requestId).flatMap((l) => ingestEmf(l.message));
    expect(errors).toContainEqual(expect.objectContaining({ metricName: 'http_request_errors_total', value: 1 }));
  });

  it('sends the function segment and the tracer subsegments of an invocation under one trace id', async () => {
    const result = results.get(SEARCH) as InvokeResult;
    const traceId = traceIdOf(result.requestId);
    const has = (docs: readonly XRayDocument[], name: string) =>
      docs.some((d) => d.trace_id === traceId && d.name === name);
    const documents = await received((docs) =>
      [SEARCH, '## semantic_search', 'vector_search'].every((n) => has(docs, n)),
    );

    const trace = documents.filter((d) => d.trace_id === traceId);
    const segment = trace.find((d) => d.name === SEARCH) as XRayDocument;
    const handler = trace.find((d) => d.name === '## semantic_search') as XRayDocument;
    const search = trace.find((d) => d.name === 'vector_search') as XRayDocument;
    const segmentId = /SegmentId: (\S+)/.exec(invocationLines(result.requestId).at(-1)?.message ?? '')?.[1];
    expect(segment).toMatchObject({ id: segmentId, origin: 'AWS::Lambda::Function', fault: false });
    expect(segment.parent_id).toBeUndefined();
    expect(handler.parent_id).toBe(segment.id);
    expect(search.parent_id).toBe(handler.id);
    expectDuring(result.requestId, segment.start_time * 1000);
    expect(segment.end_time).toBeGreaterThanOrEqual(segment.start_time);
    expect(handler.start_time).toBeGreaterThanOrEqual(segment.start_time - 0.001);
  });

  it('reports an uncaught error as an invocation error and keeps the environment', async () => {
    const before = lambda.instances(CREATE);

    const crashed = await invoke('crash', CREATE, 'crash');
    const after = await invoke('after crash', CREATE);

    expect(crashed).toMatchObject({ ok: false, coldStart: false });
    expect(crashed.error).toMatch(/^InjectedCrashError: x-maif-sandbox-fault: crash requested/);
    const stream = invocationLines(crashed.requestId).map((l) => l.message);
    const invokeError = stream.find((m) => m.includes('\tERROR\tInvoke Error \t'));
    expect(JSON.parse(invokeError?.split('\t').at(-1) ?? '{}')).toMatchObject({
      errorType: 'InjectedCrashError',
      errorMessage: expect.stringContaining('crash requested'),
    });
    expect(stream.at(-1)).toContain('\tStatus: error\tError Type: InjectedCrashError\t');
    expect(after).toMatchObject({ ok: true, statusCode: 201, coldStart: false });
    expect(lambda.instances(CREATE)).toBe(before);
    const traceId = traceIdOf(crashed.requestId);
    const documents = await received((docs) => docs.some((d) => d.trace_id === traceId && d.name === CREATE));
    expect(documents.find((d) => d.trace_id === traceId && d.name === CREATE)?.fault).toBe(true);
  });

  it('replaces an environment that dies mid-invocation', async () => {
    const died = await invoke('exit', SEARCH, 'exit');
    const next = await invoke('after exit', SEARCH);

    expect(died).toMatchObject({ ok: false, error: 'Runtime.ExitError: Runtime exited with error: exit status 1' });
    expect(lines.map((l) => l.message)).toContain(
      `RequestId: ${died.requestId} Error: Runtime exited with error: exit status 1\nRuntime.ExitError`,
    );
    expect(next).toMatchObject({ ok: true, statusCode: 200, coldStart: true });
    expect(invocationLines(next.requestId).at(-1)?.message).toMatch(/\tInit Duration: \d+\.\d\d ms\t/);
  });

  it('cold-starts a second environment for a concurrent invocation', async () => {
    const before = lambda.stats().coldStarts;
    expect(lambda.instances(EMBED)).toBe(1);

    const both = await Promise.all([invoke('one', EMBED, 'latency=500'), invoke('two', EMBED, 'latency=500')]);

    expect(both.map((r) => r.ok)).toEqual([true, true]);
    expect(both.map((r) => r.coldStart).sort()).toEqual([false, true]);
    expect(lambda.instances(EMBED)).toBe(2);
    expect(lambda.stats().coldStarts).toBe(before + 1);
    const streams = new Set(both.map((r) => invocationLines(r.requestId)[0].logStream));
    expect(streams.size).toBe(2);
  });

  it('leaves no environment behind when stopped', async () => {
    await lambda.stop();

    for (const fn of [CREATE, SEARCH, EMBED]) expect(lambda.instances(fn)).toBe(0);
    expect(lambda.stats()).toMatchObject({ running: 0, queued: 0 });
    await expect(lambda.invoke(CREATE, request(CREATE))).rejects.toThrow(
      "invoke 'maif-create-artifact': the local Lambda is stopped",
    );
  });
});
