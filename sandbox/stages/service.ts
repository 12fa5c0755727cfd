/**
 * The demo MAIF service: its functions run in worker-thread Lambdas with the instrumentation layer,
 * configured as the stack's instrumentFunction configures a deployed function. Every environment
 * the workload may use is started and warmed up first; what the service writes while warming up is
 * dropped, and its counters start from zero when the simulation begins.
 */
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import type { SimClock } from '../clock';
import type { LocalLogs } from '../cloudwatch-logs';
import { DEFAULT_MAX_INSTANCES, DEMO_FUNCTIONS, type LambdaStats, LocalLambda } from '../runtime/lambda';
import { seededRandom, Workload } from '../scenarios';
import { demoRequest } from '../service/requests';
import type { StageContext } from './context';

/** Warm-up requests per execution environment before the simulation starts. */
const WARM_UP_INVOCATIONS = 5;
/** The warm-up's request mix is the same on every run. */
const WARM_UP_RANDOM_SEED = 7;

export type ServiceStats = Pick<LambdaStats, 'invocations' | 'errors' | 'serverErrors' | 'coldStarts'>;

export interface Service {
  readonly workload: Workload;
  /**
   * Starts the simulation: simulated time zero for the functions too, their lines are kept from
   * now on, and the scenario's workload starts.
   */
  begin(): void;
  /** The functions' counters since begin(). */
  stats(): ServiceStats;
}

export interface ServiceDeps {
  readonly xrayDaemonAddress: string;
  readonly logGroups: LocalLogs;
  readonly seed: number;
}

export async function startService(ctx: StageContext, deps: ServiceDeps): Promise<Service> {
  const { config, environment, clock, scenario } = ctx.setup;
  let warming = true;
  const runtime = ctx.lifecycle.own(
    await LocalLambda.start({
      functions: DEMO_FUNCTIONS,
      clock: clock.settings,
      xrayDaemonAddress: deps.xrayDaemonAddress,
      // what the stack's instrumentFunction sets on an instrumented function
      env: {
        [INSTRUMENTATION_ENV.namespace]: config.namespace,
        [INSTRUMENTATION_ENV.service]: config.service,
        [INSTRUMENTATION_ENV.environment]: environment,
        [INSTRUMENTATION_ENV.logLevel]: config.logging.level,
        [INSTRUMENTATION_ENV.debugSampleRate]: String(config.logging.debugSampleRate),
        [INSTRUMENTATION_ENV.traceSampling]: JSON.stringify(config.tracing.sampling),
      },
      onLogLine: (line) => {
        if (!warming) {
          deps.logGroups.put({
            logGroup: line.logGroup,
            logStream: line.logStream,
            at: line.at,
            message: line.message,
          });
        }
      },
    }),
  );
  await warmUp(runtime, clock);
  const workload = new Workload({
    runtime,
    clock,
    scenario,
    seed: deps.seed,
    onPhase: (phase) => {
      ctx.records.record({ kind: 'phase', at: clock.now(), phase: phase.name, description: phase.description });
    },
  });
  let warm: ServiceStats = { invocations: 0, errors: 0, serverErrors: 0, coldStarts: 0 };
  return {
    workload,
    begin() {
      warming = false;
      warm = runtime.stats();
      runtime.setClock(clock.restart());
      workload.start();
    },
    stats() {
      const now = runtime.stats();
      return {
        invocations: now.invocations - warm.invocations,
        errors: now.errors - warm.errors,
        serverErrors: now.serverErrors - warm.serverErrors,
        coldStarts: now.coldStarts - warm.coldStarts,
      };
    },
  };
}

/**
 * Warm-up: every environment the service may use is started and has run a few requests (JIT
 * compiled), so compressed time does not read start-up CPU as latency.
 */
async function warmUp(runtime: LocalLambda, clock: SimClock): Promise<void> {
  const random = seededRandom(WARM_UP_RANDOM_SEED);
  await Promise.all(
    DEMO_FUNCTIONS.flatMap((fn) =>
      Array.from({ length: DEFAULT_MAX_INSTANCES * WARM_UP_INVOCATIONS }, () =>
        runtime.invoke(fn.name, demoRequest(fn.name, { random, now: clock.now() })),
      ),
    ),
  );
}
