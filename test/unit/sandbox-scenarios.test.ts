/**
 * The sandbox's scenarios and workload: phases, the seeded schedule, the Workload playing it on a
 * fast simulated clock against a recording `invoke`, and the incident's faults checked against the
 * example configuration's compiled alarms with the CloudWatch evaluator.
 */

import { loadConfig } from '../../domain/config/load';
import type { AlarmSpec } from '../../domain/contracts/alarm-spec';
import { replay } from '../../domain/evaluator/evaluator';
import { MetricStore } from '../../domain/evaluator/store';
import { compileAlerting } from '../../domain/rules/alarms';
import { SimClock } from '../../sandbox/clock';
import type { InvokeResult } from '../../sandbox/runtime/lambda';
import {
  type Arrival,
  checkScenario,
  DEFAULT_SCENARIO,
  type Phase,
  SCENARIOS,
  type Scenario,
  scenarioNamed,
  scheduleOf,
  Workload,
} from '../../sandbox/scenarios';
import { FAULT_HEADER, type HttpEvent } from '../../sandbox/service/http';
import { DEMO_FUNCTION_NAMES } from '../../sandbox/service/requests';

const MINUTE = 60_000;
const CREATE = 'maif-create-artifact';
const SEARCH = 'maif-semantic-search';

describe('scenarios', () => {
  it.each(Object.values(SCENARIOS))('$name has contiguous phases covering exactly its duration', (scenario) => {
    expect(scenario.phases[0].startMs).toBe(0);
    for (let i = 1; i < scenario.phases.length; i++) {
      expect(scenario.phases[i].startMs).toBe(scenario.phases[i - 1].endMs);
    }
    for (const p of scenario.phases) expect(p.endMs).toBeGreaterThan(p.startMs);
    expect(scenario.phases.at(-1)?.endMs).toBe(scenario.durationMs);
    expect(() => checkScenario(scenario)).not.toThrow();
  });

  it('has the incident by default and names the allowed scenarios for an unknown one', () => {
    expect(scenarioNamed(DEFAULT_SCENARIO)).toBe(SCENARIOS.incident);
    expect(scenarioNamed('steady').phases.some((p) => p.faults !== undefined)).toBe(false);
    expect(() => scenarioNamed('chaos')).toThrow("scenario: 'chaos' is not allowed (use incident, steady)");
    expect(() => scenarioNamed('toString')).toThrow(/'toString' is not allowed/);
  });

  it('plays the incident in the order the brief tells: burst, recovery, latency regression, recovery', () => {
    const phases = SCENARIOS.incident.phases.map((p) => [p.name, p.startMs / MINUTE, p.endMs / MINUTE]);
    expect(phases).toEqual([
      ['baseline', 0, 3],
      ['error-burst', 3, 22],
      ['recovery', 22, 26],
      ['latency-regression', 26, 70],
      ['latency-recovery', 70, 80],
    ]);
    expect(SCENARIOS.incident.phases[1].faults).toEqual({ [CREATE]: { errorRate: 1 } });
    expect(SCENARIOS.incident.phases[3].faults).toEqual({ [SEARCH]: { latencyMs: 3000 } });
  });

  it.each([
    [
      'a gap between phases',
      (s: Scenario): Scenario => ({
        ...s,
        phases: [s.phases[0], { ...s.phases[1], startMs: s.phases[1].startMs + 1 }],
      }),
      /phase 'error-burst' startMs: 180001 is not allowed \(use 180000/,
    ],
    [
      'an unknown function',
      (s: Scenario): Scenario => ({
        ...s,
        phases: [{ ...s.phases[0], traffic: { 'maif-nope': 5 } }, ...s.phases.slice(1)],
      }),
      /function 'maif-nope' is not allowed \(use maif-create-artifact/,
    ],
    [
      'an error rate above 1',
      (s: Scenario): Scenario => ({
        ...s,
        phases: [{ ...s.phases[0], faults: { [CREATE]: { errorRate: 1.5 } } }, ...s.phases.slice(1)],
      }),
      /faults.maif-create-artifact.errorRate: 1.5 is not allowed \(use 0 to 1\)/,
    ],
    [
      'phases that stop short of the duration',
      (s: Scenario): Scenario => ({ ...s, durationMs: s.durationMs + MINUTE }),
      /the phases end at 4800000, not at durationMs 4860000/,
    ],
  ])('refuses %s with a message naming the field and value', (_what, change, message) => {
    expect(() => checkScenario(change(SCENARIOS.incident))).toThrow(message);
  });
});

describe('scheduleOf', () => {
  it('is the same for the same seed and different for another one', () => {
    const a = scheduleOf(SCENARIOS.incident, 7);
    expect(scheduleOf(SCENARIOS.incident, 7)).toEqual(a);
    expect(scheduleOf(SCENARIOS.incident, 8).map((x) => x.atMs)).not.toEqual(a.map((x) => x.atMs));
  });

  it('keeps every request inside its phase, in time order', () => {
    const arrivals = scheduleOf(SCENARIOS.incident);
    for (const arrival of arrivals) {
      const p = SCENARIOS.incident.phases[arrival.phase];
      expect(arrival.atMs).toBeGreaterThanOrEqual(p.startMs);
      expect(arrival.atMs).toBeLessThan(p.endMs);
    }
    expect(arrivals.map((a) => a.atMs)).toEqual([...arrivals.map((a) => a.atMs)].sort((x, y) => x - y));
  });
});

/** Requests per phase and function, and their fault headers, as the recording `invoke` saw them. */
interface Recorded {
  readonly phase: string | undefined;
  readonly fn: string;
  readonly fault: string | undefined;
}

describe('Workload', () => {
  it('sends each phase its traffic with its faults, on a fast simulated clock', async () => {
    // Arrange: speed 3600 plays the 80-minute incident in about 1.3 s
    const clock = new SimClock({ simStartMs: Date.UTC(2026, 0, 1), realStartMs: Date.now(), speed: 3600 });
    const recorded: Recorded[] = [];
    const phases: string[] = [];
    const results: string[] = [];
    let workload: Workload | undefined;
    const invoke = async (fn: string, event: unknown): Promise<InvokeResult> => {
      const headers = (event as HttpEvent).headers;
      recorded.push({ phase: workload?.phase()?.name, fn, fault: headers[FAULT_HEADER] });
      return { requestId: `r-${recorded.length}`, ok: true, statusCode: 200, coldStart: false, durationMs: 1 };
    };
    workload = new Workload({
      runtime: { invoke },
      clock,
      scenario: SCENARIOS.incident,
      seed: 3,
      onPhase: (p: Phase) => phases.push(p.name),
      onResult: (fn) => results.push(fn),
    });

    // Act
    workload.start();
    await workload.done();

    // Assert
    expect(phases).toEqual(SCENARIOS.incident.phases.map((p) => p.name));
    expect(workload.phase()).toBeUndefined();
    expect(results).toHaveLength(recorded.length);
    expect(workload.sent).toBe(recorded.length);
    for (const p of SCENARIOS.incident.phases) {
      const minutes = (p.endMs - p.startMs) / MINUTE;
      for (const fn of DEMO_FUNCTION_NAMES) {
        const sent = recorded.filter((r) => r.phase === p.name && r.fn === fn);
        const expected = p.traffic[fn] * minutes;
        expect(Math.abs(sent.length - expected)).toBeLessThanOrEqual(Math.ceil(expected * 0.1));
        const faults = new Set(sent.map((r) => r.fault));
        if (p.name === 'error-burst' && fn === CREATE) expect(faults).toEqual(new Set(['error']));
        else if (p.name === 'latency-regression' && fn === SEARCH) expect(faults).toEqual(new Set(['latency=3000']));
        else expect(faults).toEqual(new Set([undefined]));
      }
    }
  });

  it('draws a partial error rate per request', () => {
    const incident = SCENARIOS.incident;
    const burst = { ...incident.phases[1], faults: { [CREATE]: { errorRate: 0.25 } } };
    const scenario: Scenario = { ...incident, phases: [incident.phases[0], burst, ...incident.phases.slice(2)] };
    const creates = scheduleOf(scenario, 11).filter((a: Arrival) => a.phase === 1 && a.functionName === CREATE);
    const share = creates.filter((a) => a.fault === 'error').length / creates.length;
    expect(creates.length).toBe(380);
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.32);
  });

  it('stops sending at stop() and waits for the invocations already sent', async () => {
    const clock = new SimClock({ simStartMs: Date.UTC(2026, 0, 1), realStartMs: Date.now(), speed: 60 });
    const pending: (() => void)[] = [];
    let firstSent!: () => void;
    const sentOne = new Promise<void>((resolve) => {
      firstSent = resolve;
    });
    const invoke = (): Promise<InvokeResult> =>
      new Promise((resolve) => {
        pending.push(() => resolve({ requestId: 'r', ok: true, coldStart: false, durationMs: 1 }));
        firstSent();
      });
    const workload = new Workload({ runtime: { invoke }, clock, scenario: SCENARIOS.steady });
    workload.start();
    await sentOne;

    let stopped = false;
    const stopping = workload.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    for (const release of pending) release();
    await stopping;
    await workload.done();

    expect(stopped).toBe(true);
    expect(workload.sent).toBe(pending.length);
    expect(workload.phase()).toBeUndefined();
    expect(() => workload.start()).toThrow("workload 'steady': already started");
  });
});

describe('the incident against the alarms of the example configuration', () => {
  const config = loadConfig('observability.config.ts', 'dev', `${__dirname}/../..`);
  const { specs } = compileAlerting(config);
  const spec = (rule: string): AlarmSpec => {
    const found = specs.find((s) => s.ruleName === rule);
    if (found === undefined) throw new Error(`no compiled alarm for rule '${rule}'`);
    return found;
  };
  const start = Date.UTC(2026, 0, 1);
  const dimensions = { service: config.service, environment: config.environment };
  /** The demo service's normal latencies (simulated ms) and what a fault does, as backend.ts models them. */
  const NORMAL_MS: Readonly<Record<string, number>> = { [CREATE]: 120, [SEARCH]: 60, 'maif-generate-embedding': 150 };

  /** The request metrics the service would emit for a scenario, under the rollup the alarms read. */
  function storeFor(scenario: Scenario): MetricStore {
    const store = new MetricStore();
    for (const a of scheduleOf(scenario)) {
      const latencyMs = a.fault?.startsWith('latency=') ? Number(a.fault.slice(8)) : NORMAL_MS[a.functionName];
      const timestamp = start + a.atMs + latencyMs;
      const metric = (metricName: string, value: number) =>
        store.add({ namespace: config.namespace, metricName, dimensions, timestamp, value });
      metric('http_requests_total', 1);
      metric('http_request_duration_seconds', latencyMs / 1000);
      if (a.fault === 'error') metric('http_request_errors_total', 1);
      if (a.functionName === SEARCH) metric('search_duration_seconds', latencyMs / 1000);
    }
    return store;
  }

  const minuteOf = (time: number) => (time - start) / MINUTE;

  it('holds the critical realtime error alarm from the burst start past its 15-minute escalation', () => {
    const alarm = spec('realtime_error_rate');
    const run = replay(alarm, storeFor(SCENARIOS.incident), start, start + 30 * MINUTE, alarm.period * 1000);

    expect(alarm.severity).toBe('critical');
    const fired = run.transitions.find((t) => t.to === 'ALARM');
    expect(fired && minuteOf(fired.time)).toBeLessThan(4);
    const left = run.transitions.find((t) => fired !== undefined && t.time > fired.time);
    expect(left && minuteOf(left.time)).toBeGreaterThanOrEqual(22);
    expect(run.firings).toBe(1);
  });

  // high_latency (p95 over 1-minute periods) cannot decide at this traffic: with
  // evaluateLowSampleCountPercentile 'ignore' a p95 needs 200 samples per period, the service gets ~70.
  it('trips the search baseline regression and the fast latency burn during the latency regression', () => {
    const store = storeFor(SCENARIOS.incident);
    for (const rule of ['search_latency_p95_regression', 'latency_burn14.4x_5m']) {
      const alarm = spec(rule);
      const run = replay(alarm, store, start, start + 80 * MINUTE, alarm.period * 1000);
      const fired = run.transitions.find((t) => t.to === 'ALARM');
      expect(fired && minuteOf(fired.time)).toBeGreaterThan(26);
      expect(fired && minuteOf(fired.time)).toBeLessThanOrEqual(70);
    }
  });

  it('pages nothing in the steady scenario', () => {
    const store = storeFor(SCENARIOS.steady);
    for (const rule of ['realtime_error_rate', 'high_error_rate', 'high_latency', 'realtime_response_time']) {
      const alarm = spec(rule);
      expect(replay(alarm, store, start, start + 30 * MINUTE, alarm.period * 1000).firings).toBe(0);
    }
  });
});
