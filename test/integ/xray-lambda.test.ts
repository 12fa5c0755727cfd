/**
 * Lambda mode against a real UDP listener: the facade segment from `_X_AMZN_TRACE_ID`, one
 * packet per subsegment with the header's parent id, nothing sent when `Sampled=0`.
 * The SDK reads AWS_XRAY_DAEMON_ADDRESS when its emitter first loads: set before the first span.
 */
import { Tracer } from '../../layers/instrumentation/tracer/tracer';
import { startXRayDaemon, type XRayDaemon } from '../private/xray-daemon';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const PARENT = '53995c3f42cd8ad8';
const header = (root: string, sampled: 0 | 1) => `Root=${root};Parent=${PARENT};Sampled=${sampled}`;

describe('Tracer in Lambda', () => {
  let daemon: XRayDaemon;
  const env: Record<string, string | undefined> = {};
  let tracer: Tracer;
  const warnings: string[] = [];

  beforeAll(async () => {
    daemon = await startXRayDaemon();
    process.env.AWS_XRAY_DAEMON_ADDRESS = daemon.address;
    Object.assign(env, { LAMBDA_TASK_ROOT: '/var/task', MAIF_SERVICE: 'maif', _X_AMZN_TRACE_ID: header(ROOT, 1) });
    tracer = new Tracer({ env, warn: (m) => warnings.push(m) });
  });

  afterAll(async () => {
    delete process.env.AWS_XRAY_DAEMON_ADDRESS;
    await daemon.close();
  });

  beforeEach(() => {
    daemon.clear();
    env._X_AMZN_TRACE_ID = header(ROOT, 1);
  });

  it('sends each subsegment as its own packet under the invocation segment', async () => {
    const result = await tracer.startActiveSpan('## handler', async (span) => {
      span.setAnnotation('user id', 'u-42');
      await tracer.startActiveSpan('search_execution', async (child) => child.setMetadata('hits', [1, 2]));
      return 'done';
    });

    const docs = await daemon.waitFor(2);
    const root = docs.find((d) => d.name === '## handler');
    const child = docs.find((d) => d.name === 'search_execution');
    expect(result).toBe('done');
    expect(root).toMatchObject({
      type: 'subsegment',
      trace_id: ROOT,
      parent_id: PARENT,
      annotations: { sampling_priority: 'default', user_id: 'u-42' },
    });
    expect(child).toMatchObject({
      type: 'subsegment',
      trace_id: ROOT,
      parent_id: root?.id,
      metadata: { default: { hits: [1, 2] } },
    });
    expect(docs.every((d) => typeof d.end_time === 'number' && d.in_progress === undefined)).toBe(true);
    expect(daemon.malformed).toEqual([]);
  });

  it('marks the root span with the priority chosen around it', async () => {
    await tracer.withPriority('high_priority', () => tracer.startActiveSpan('## handler', () => undefined));
    const [doc] = await daemon.waitFor(1);
    expect(doc.annotations?.sampling_priority).toBe('high_priority');
  });

  it('sends nothing for an invocation with Sampled=0, but still gives ids to the logger', async () => {
    const unsampledRoot = '1-5759e988-000000000000000000000001';
    env._X_AMZN_TRACE_ID = header(unsampledRoot, 0);
    const ids = tracer.startActiveSpan('## handler', (span) => {
      tracer.startActiveSpan('child', () => undefined);
      expect(span.isRecording).toBe(false);
      return tracer.currentIds();
    });
    // A sampled invocation afterwards: once its packet is in, the earlier ones would have been too.
    env._X_AMZN_TRACE_ID = header(ROOT, 1);
    tracer.startActiveSpan('sentinel', () => undefined);

    const docs = await daemon.waitFor(1);
    expect(docs.map((d) => [d.name, d.trace_id])).toEqual([['sentinel', ROOT]]);
    expect(ids.traceId).toBe(unsampledRoot);
    expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('records a rejected promise as a fault and hands the rejection back unchanged', async () => {
    const error = new TypeError('artifact store unreachable');
    const run = tracer.startActiveSpan('## handler', () => Promise.reject(error));
    await expect(run).rejects.toBe(error);
    const [doc] = await daemon.waitFor(1);
    expect(doc.fault).toBe(true);
    expect(doc.cause?.exceptions?.[0]).toMatchObject({ message: 'artifact store unreachable', type: 'TypeError' });
  });

  it('reports the active ids to the logger in X-Ray form', async () => {
    const ids = tracer.startActiveSpan('## handler', (span) => [tracer.currentIds(), span.spanId]);
    expect(ids).toEqual([{ traceId: ROOT, spanId: ids[1] }, ids[1]]);
    expect(tracer.currentIds()).toEqual({ traceId: ROOT });
    const [doc] = await daemon.waitFor(1);
    expect(doc.id).toBe(ids[1]);
  });

  it('runs the function with a no-op span when there is no trace header, warning once', () => {
    env._X_AMZN_TRACE_ID = undefined;
    const names = [1, 2].map(() => tracer.startActiveSpan('## handler', (span) => [span.isRecording, span.spanId]));
    expect(names).toEqual([
      [false, undefined],
      [false, undefined],
    ]);
    expect(warnings.filter((w) => w.includes('_X_AMZN_TRACE_ID'))).toHaveLength(1);
  });
});
