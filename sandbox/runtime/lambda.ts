/**
 * A local AWS Lambda: runs the bundled demo service's functions in worker threads that behave like
 * Lambda execution environments. Each environment runs one invocation at a time; an invocation
 * that finds every environment busy starts a new one (a cold start) up to
 * `maxInstancesPerFunction`, beyond which requests queue. Everything runs on the simulated clock.
 *
 * Per invocation, as Lambda does: a trace header (`_X_AMZN_TRACE_ID`), START / END / REPORT lines
 * in the environment's log stream (`/aws/lambda/<name>`), an `Invoke Error` line for an uncaught
 * error, and the `AWS::Lambda::Function` segment sent to the X-Ray daemon. An environment that dies
 * (exit, out of memory, timeout) fails its invocation and is replaced.
 *
 *   const lambda = await LocalLambda.start({ functions: DEMO_FUNCTIONS, clock, xrayDaemonAddress, env, onLogLine });
 *   const result = await lambda.invoke('maif-semantic-search', event);
 *   await lambda.stop();
 */
import { randomUUID } from 'node:crypto';
import { type ClockSettings, SimClock } from '../clock';
import { SPEED_ENV } from '../service/backend';
import { DEMO_FUNCTION_NAMES, DEMO_ROUTES } from '../service/requests';
import { bundleLambdaRuntime, type LambdaBundle } from './bundle';
import { ExecutionEnvironment, newLogStreamName } from './environment';
import type { ClockMessage, InvocationDone } from './protocol';
import {
  type DaemonAddress,
  functionSegment,
  newTraceHeader,
  parseDaemonAddress,
  SegmentEmitter,
  type TraceHeader,
} from './xray';

export interface FunctionSpec {
  readonly name: string;
  /** export name in the bundle */
  readonly handler: string;
  /** @default 256 */
  readonly memoryMb?: number;
  /** Simulated seconds before Lambda stops an invocation. @default 30 */
  readonly timeoutSeconds?: number;
}

export interface LogLineEvent {
  readonly functionName: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** Simulated epoch ms. */
  readonly at: number;
  readonly message: string;
}

export interface LambdaRuntimeOptions {
  readonly functions: readonly FunctionSpec[];
  readonly clock: ClockSettings;
  readonly xrayDaemonAddress: string;
  /** MAIF_NAMESPACE, MAIF_SERVICE, MAIF_ENVIRONMENT, ... (what instrumentFunction sets). */
  readonly env: Readonly<Record<string, string>>;
  /** One line of the function's log stream, as CloudWatch Logs would store it; `at` = simulated ms. */
  readonly onLogLine: (line: LogLineEvent) => void;
  /** @default 4 */
  readonly maxInstancesPerFunction?: number;
  /** @default 'eu-west-3' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
}

export interface InvokeResult {
  readonly requestId: string;
  readonly ok: boolean;
  readonly statusCode?: number;
  readonly error?: string;
  readonly coldStart: boolean;
  /** simulated */
  readonly durationMs: number;
  /** What the handler returned (ok invocations). */
  readonly response?: unknown;
}

export interface LambdaStats {
  readonly invocations: number;
  /** Function errors (the handler threw or timed out): Lambda's Errors metric. */
  readonly errors: number;
  /** Invocations that returned an HTTP 5xx response (not function errors for Lambda). */
  readonly serverErrors: number;
  readonly coldStarts: number;
  readonly running: number;
  readonly queued: number;
}

export const DEFAULT_MEMORY_MB = 256;
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_MAX_INSTANCES = 4;
export const MAX_INSTANCES_LIMIT = 64;
/**
 * A timeout never fires before this many real ms: at a high speed a few ms of real CPU read as
 * seconds, and a healthy invocation must not time out because the host is busy (at speed 120 the
 * default 30 s is 250 real ms; a cold environment's first invocation can take that on a loaded host).
 */
const MIN_REAL_TIMEOUT_MS = 1000;

export const DEMO_FUNCTIONS: readonly FunctionSpec[] = DEMO_FUNCTION_NAMES.map((name) => ({
  name,
  handler: DEMO_ROUTES[name].handler,
  memoryMb: DEFAULT_MEMORY_MB,
}));

interface Pending {
  readonly requestId: string;
  readonly event: unknown;
  readonly trace: TraceHeader;
  readonly resolve: (result: InvokeResult) => void;
  settled: boolean;
  /** Simulated epoch ms the invocation was handed to its environment. */
  dispatchedAt?: number;
  timer?: NodeJS.Timeout;
}

interface Instance {
  readonly environment: ExecutionEnvironment;
  readonly pool: Pool;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  /** The invocation it runs, or the one waiting for it to finish starting. */
  current?: Pending;
  initFailed?: string;
  /** It finished its init and served (or could serve) invocations. */
  wasReady?: boolean;
}

interface Pool {
  readonly spec: Required<FunctionSpec>;
  readonly logGroup: string;
  readonly instances: Instance[];
  readonly queue: Pending[];
}

interface CheckedOptions {
  readonly specs: Required<FunctionSpec>[];
  readonly daemon: DaemonAddress;
  readonly clock: SimClock;
}

function checkOptions(options: LambdaRuntimeOptions): CheckedOptions {
  if (!Array.isArray(options.functions) || options.functions.length === 0) {
    throw new Error('LocalLambda functions: [] is not allowed (give at least one function)');
  }
  const names = new Set<string>();
  const specs = options.functions.map((fn) => {
    if (typeof fn.name !== 'string' || !/^[a-zA-Z0-9-_]{1,64}$/.test(fn.name)) {
      throw new Error(
        `LocalLambda functions[].name: '${fn.name}' is not allowed (use 1 to 64 of a-z, A-Z, 0-9, - and _)`,
      );
    }
    if (names.has(fn.name))
      throw new Error(`LocalLambda functions[].name: '${fn.name}' is given twice (use unique names)`);
    names.add(fn.name);
    if (typeof fn.handler !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(fn.handler)) {
      throw new Error(`LocalLambda function '${fn.name}' handler: '${fn.handler}' is not allowed (use an export name)`);
    }
    const memoryMb = fn.memoryMb ?? DEFAULT_MEMORY_MB;
    if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240) {
      throw new Error(`LocalLambda function '${fn.name}' memoryMb: ${memoryMb} is not allowed (use 128 to 10240)`);
    }
    const timeoutSeconds = fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (!(timeoutSeconds >= 1 && timeoutSeconds <= 900)) {
      throw new Error(
        `LocalLambda function '${fn.name}' timeoutSeconds: ${timeoutSeconds} is not allowed (use 1 to 900)`,
      );
    }
    return { name: fn.name, handler: fn.handler, memoryMb, timeoutSeconds };
  });
  const max = options.maxInstancesPerFunction ?? DEFAULT_MAX_INSTANCES;
  if (!Number.isInteger(max) || max < 1 || max > MAX_INSTANCES_LIMIT) {
    throw new Error(`LocalLambda maxInstancesPerFunction: ${max} is not allowed (use 1 to ${MAX_INSTANCES_LIMIT})`);
  }
  const daemon = parseDaemonAddress(options.xrayDaemonAddress);
  if (typeof options.onLogLine !== 'function') {
    throw new Error(`LocalLambda onLogLine: ${typeof options.onLogLine} is not allowed (use a function)`);
  }
  return { specs, daemon, clock: new SimClock(options.clock) };
}

function errorText(error: { readonly errorType: string; readonly errorMessage: string }): string {
  return `${error.errorType}: ${error.errorMessage}`;
}

export class LocalLambda {
  readonly #options: LambdaRuntimeOptions;
  #clock: SimClock;
  readonly #bundle: LambdaBundle;
  readonly #daemon: DaemonAddress;
  readonly #emitter: SegmentEmitter;
  readonly #pools = new Map<string, Pool>();
  readonly #max: number;
  readonly #region: string;
  readonly #accountId: string;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #invocations = 0;
  #errors = 0;
  #coldStarts = 0;
  #serverErrors = 0;

  private constructor(options: LambdaRuntimeOptions, checked: CheckedOptions, bundle: LambdaBundle) {
    this.#options = options;
    this.#clock = checked.clock;
    this.#bundle = bundle;
    this.#daemon = checked.daemon;
    this.#emitter = new SegmentEmitter(checked.daemon);
    this.#max = options.maxInstancesPerFunction ?? DEFAULT_MAX_INSTANCES;
    this.#region = options.region ?? 'eu-west-3';
    this.#accountId = options.accountId ?? '000000000000';
    for (const spec of checked.specs) {
      this.#pools.set(spec.name, { spec, logGroup: `/aws/lambda/${spec.name}`, instances: [], queue: [] });
    }
  }

  /** Bundles the service and starts one initialized environment per function. */
  static async start(options: LambdaRuntimeOptions): Promise<LocalLambda> {
    // everything is checked before anything is built
    const checked = checkOptions(options);
    const bundle = await bundleLambdaRuntime();
    const lambda = new LocalLambda(options, checked, bundle);
    const started = [...lambda.#pools.values()].map((pool) => lambda.#spawn(pool));
    const ready = await Promise.all(started.map((instance) => instance.environment.ready));
    const failed = ready.findIndex((message) => message.error !== undefined);
    if (failed >= 0) {
      await lambda.stop();
      const error = ready[failed].error as { errorType: string; errorMessage: string };
      throw new Error(`LocalLambda function '${started[failed].pool.spec.name}': init failed: ${errorText(error)}`);
    }
    return lambda;
  }

  /** Invokes `functionName` with `event` (RequestResponse): resolves when it has finished, never rejects once accepted. */
  invoke(functionName: string, event: unknown): Promise<InvokeResult> {
    const pool = this.#pools.get(functionName);
    if (pool === undefined) {
      return Promise.reject(
        new Error(`invoke: function '${functionName}' is not deployed (use ${[...this.#pools.keys()].join(', ')})`),
      );
    }
    if (this.#stopping) return Promise.reject(new Error(`invoke '${functionName}': the local Lambda is stopped`));
    return new Promise((resolve) => {
      pool.queue.push({
        requestId: randomUUID(),
        event,
        trace: newTraceHeader(this.#clock.now()),
        resolve,
        settled: false,
      });
      this.#schedule(pool);
    });
  }

  stats(): LambdaStats {
    let running = 0;
    let queued = 0;
    for (const pool of this.#pools.values()) {
      queued += pool.queue.length;
      for (const instance of pool.instances) if (instance.current !== undefined) running++;
    }
    return {
      invocations: this.#invocations,
      errors: this.#errors,
      serverErrors: this.#serverErrors,
      coldStarts: this.#coldStarts,
      running,
      queued,
    };
  }

  /**
   * Restarts the simulated clock of every environment (and of those started later): the sandbox
   * warms the environments up, then starts its simulation from zero.
   */
  setClock(settings: ClockSettings): void {
    this.#clock = new SimClock(settings);
    const message: ClockMessage = { type: 'clock', clock: settings };
    for (const pool of this.#pools.values()) {
      for (const instance of pool.instances) instance.environment.setClock(message);
    }
  }

  /** Live environments per function. */
  instances(functionName: string): number {
    return this.#pools.get(functionName)?.instances.length ?? 0;
  }

  /** Terminates every environment (queued and running invocations fail) and removes the bundle. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    const terminations: Promise<void>[] = [];
    for (const pool of this.#pools.values()) {
      for (const pending of pool.queue.splice(0)) this.#cancel(pending);
      for (const instance of pool.instances) terminations.push(instance.environment.terminate());
    }
    await Promise.allSettled(terminations);
    for (const pool of this.#pools.values()) {
      for (const instance of pool.instances.splice(0)) {
        instance.state = 'dead';
        if (instance.current) this.#cancel(instance.current);
      }
    }
    await this.#emitter.close();
    this.#bundle.dispose();
  }

  /** Hands queued invocations to idle environments, starting new ones while under the limit. */
  #schedule(pool: Pool): void {
    while (pool.queue.length > 0 && !this.#stopping) {
      const idle = pool.instances.find((instance) => instance.state === 'idle');
      if (idle !== undefined) {
        this.#dispatch(idle, pool.queue.shift() as Pending);
        continue;
      }
      if (pool.instances.length >= this.#max) return;
      const instance = this.#spawn(pool);
      instance.current = pool.queue.shift();
    }
  }

  #spawn(pool: Pool): Instance {
    const { spec, logGroup } = pool;
    const logStream = newLogStreamName(this.#clock.now());
    const env: Record<string, string> = {
      ...this.#options.env,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: logStream,
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      AWS_REGION: this.#region,
      AWS_DEFAULT_REGION: this.#region,
      LAMBDA_TASK_ROOT: this.#bundle.dir,
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      AWS_XRAY_DAEMON_ADDRESS: this.#options.xrayDaemonAddress,
      _AWS_XRAY_DAEMON_ADDRESS: this.#daemon.host,
      _AWS_XRAY_DAEMON_PORT: String(this.#daemon.port),
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      [SPEED_ENV]: String(this.#clock.settings.speed),
    };
    const instance: Instance = {
      pool,
      state: 'starting',
      environment: new ExecutionEnvironment({
        bootstrapPath: this.#bundle.bootstrapPath,
        env,
        data: {
          servicePath: this.#bundle.servicePath,
          handler: spec.handler,
          functionName: spec.name,
          memoryMb: spec.memoryMb,
          region: this.#region,
          accountId: this.#accountId,
          logGroup,
          logStream,
          clock: this.#clock.settings,
        },
        events: {
          line: (message, at) => this.#log(pool, logStream, message, at),
          done: (done) => this.#done(instance, done),
          exit: (code, error) => this.#exited(instance, code, error),
        },
      }),
    };
    pool.instances.push(instance);
    void instance.environment.ready.then((ready) => {
      // a thread that died during init is handled by #exited, with whatever waits for it
      if (instance.state !== 'starting' || instance.environment.dead) return;
      if (ready.error !== undefined) instance.initFailed = errorText(ready.error);
      else instance.wasReady = true;
      instance.state = 'idle';
      const waiting = instance.current;
      instance.current = undefined;
      if (waiting !== undefined) this.#dispatch(instance, waiting);
      else this.#schedule(pool);
    });
    return instance;
  }

  #dispatch(instance: Instance, pending: Pending): void {
    instance.state = 'busy';
    instance.current = pending;
    pending.dispatchedAt = this.#clock.now();
    const timeoutMs = instance.pool.spec.timeoutSeconds * 1000;
    pending.timer = setTimeout(
      () => this.#timedOut(instance, pending),
      Math.max(MIN_REAL_TIMEOUT_MS, this.#clock.realMs(timeoutMs)),
    );
    pending.timer.unref();
    instance.environment.invoke({
      type: 'invoke',
      requestId: pending.requestId,
      event: pending.event,
      trace: pending.trace,
      deadlineMs: pending.dispatchedAt + timeoutMs,
    });
  }

  #log(pool: Pool, logStream: string, message: string, at?: number): void {
    try {
      this.#options.onLogLine({
        functionName: pool.spec.name,
        logGroup: pool.logGroup,
        logStream,
        at: Math.round(at ?? this.#clock.now()),
        message,
      });
    } catch {
      // a failing consumer loses the line; the function keeps running, as Lambda's would
    }
  }

  #done(instance: Instance, done: InvocationDone): void {
    const pending = instance.current;
    if (pending === undefined || pending.requestId !== done.requestId) return;
    const { pool } = instance;
    instance.current = undefined;
    instance.state = 'idle';
    this.#sendSegment(pool, pending, done.startMs, done.endMs, done.error);
    this.#settle(pending, {
      requestId: pending.requestId,
      ok: done.ok,
      ...(done.statusCode !== undefined ? { statusCode: done.statusCode } : {}),
      ...(done.error !== undefined ? { error: errorText(done.error) } : {}),
      ...(done.ok ? { response: done.response } : {}),
      coldStart: done.coldStart,
      durationMs: done.durationMs,
    });
    this.#schedule(pool);
  }

  #timedOut(instance: Instance, pending: Pending): void {
    if (pending.settled || instance.current !== pending) return;
    const seconds = instance.pool.spec.timeoutSeconds.toFixed(2);
    const now = new Date(this.#clock.now()).toISOString();
    this.#log(
      instance.pool,
      instance.environment.logStream,
      `${now} ${pending.requestId} Task timed out after ${seconds} seconds`,
    );
    this.#abort(instance, pending, 'Sandbox.Timedout', `Task timed out after ${seconds} seconds`, 'timeout');
    void instance.environment.terminate();
  }

  #exited(instance: Instance, code: number, error: Error | undefined): void {
    const { pool } = instance;
    const index = pool.instances.indexOf(instance);
    if (index >= 0) pool.instances.splice(index, 1);
    const pending = instance.current;
    instance.state = 'dead';
    if (this.#stopping) return;
    if (pending !== undefined && !pending.settled) {
      const message = error
        ? `Runtime exited with error: ${error.message}`
        : `Runtime exited with error: exit status ${code}`;
      this.#log(
        pool,
        instance.environment.logStream,
        `RequestId: ${pending.requestId} Error: ${message}\nRuntime.ExitError`,
      );
      this.#abort(instance, pending, 'Runtime.ExitError', message, 'error');
    }
    // a replacement keeps one environment ready (unless this one never got through its init:
    // respawning would loop), and #schedule starts what the queue needs
    if (pool.instances.length === 0 && pool.queue.length === 0 && instance.wasReady) this.#spawn(pool);
    this.#schedule(pool);
  }

  /** Ends an invocation the environment did not finish: END and REPORT lines, the segment, the result. */
  #abort(instance: Instance, pending: Pending, errorType: string, errorMessage: string, status: string): void {
    const { pool } = instance;
    instance.current = undefined;
    const start = pending.dispatchedAt ?? this.#clock.now();
    const end = this.#clock.now();
    const durationMs = Math.max(0, end - start);
    const stream = instance.environment.logStream;
    this.#log(pool, stream, `END RequestId: ${pending.requestId}`);
    this.#log(
      pool,
      stream,
      `REPORT RequestId: ${pending.requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms\t` +
        `Memory Size: ${pool.spec.memoryMb} MB\tMax Memory Used: 0 MB\tStatus: ${status}\tError Type: ${errorType}\t`,
    );
    const error = { errorType, errorMessage };
    this.#sendSegment(pool, pending, start, end, error);
    this.#settle(pending, {
      requestId: pending.requestId,
      ok: false,
      error: errorText(error),
      coldStart: false,
      durationMs,
    });
  }

  /** Cancels an invocation the runtime will not run (it stopped): not counted as an invocation. */
  #cancel(pending: Pending): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.timer) clearTimeout(pending.timer);
    pending.resolve({
      requestId: pending.requestId,
      ok: false,
      error: 'Runtime.Stopped: the local Lambda stopped',
      coldStart: false,
      durationMs: 0,
    });
  }

  #settle(pending: Pending, result: InvokeResult): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.timer) clearTimeout(pending.timer);
    this.#invocations++;
    if (!result.ok) this.#errors++;
    if (result.statusCode !== undefined && result.statusCode >= 500) this.#serverErrors++;
    if (result.coldStart) this.#coldStarts++;
    pending.resolve(result);
  }

  #sendSegment(
    pool: Pool,
    pending: Pending,
    startMs: number,
    endMs: number,
    error: { readonly errorType: string; readonly errorMessage: string } | undefined,
  ): void {
    this.#emitter.send(
      functionSegment({
        trace: pending.trace,
        functionName: pool.spec.name,
        functionArn: `arn:aws:lambda:${this.#region}:${this.#accountId}:function:${pool.spec.name}`,
        accountId: this.#accountId,
        requestId: pending.requestId,
        startMs,
        endMs,
        ...(error ? { error } : {}),
      }),
    );
  }
}
