/**
 * The bootstrap of one local Lambda execution environment (a worker thread): what Lambda's Node.js
 * runtime does around the function. It puts the thread on the simulated clock, loads the bundled
 * service (the init phase, timed), then runs one invocation at a time: sets `_X_AMZN_TRACE_ID`,
 * calls the handler with a Lambda context, and writes the platform lines (START, END, REPORT, the
 * `Invoke Error` line of an uncaught error) into the environment's stdout, i.e. its log stream.
 *
 * Bundled by bundle.ts and started by lambda.ts; protocol.ts describes the messages.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import {
  type BootstrapData,
  type ClockMessage,
  encodeControl,
  encodeTime,
  type InvocationDone,
  type InvokeMessage,
  type ReadyMessage,
} from './protocol';
import { installSimulatedClock } from './sim-time';

type LambdaHandler = (event: unknown, context: Record<string, unknown>) => unknown;

const MIB = 1024 * 1024;
const data = workerData as BootstrapData;
const clock = installSimulatedClock(data.clock);
const initStarted = performance.now();

type Write = typeof process.stdout.write;
/** Each write of the function goes out unchanged, after a stamp of its simulated time (see protocol.ts). */
function stampWrites(stream: NodeJS.WriteStream): Write {
  const raw = stream.write.bind(stream) as Write;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    raw(encodeTime(clock.epochMs()));
    return (raw as (chunk: unknown, ...rest: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
  return raw;
}
const writeStdout = stampWrites(process.stdout);
stampWrites(process.stderr);

function errorFields(error: unknown): { errorType: string; errorMessage: string; stack: string[] } {
  if (error instanceof Error) {
    const type = error.name && error.name !== 'Error' ? error.name : (error.constructor?.name ?? 'Error');
    return { errorType: type, errorMessage: error.message, stack: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), stack: [] };
}

let handler: LambdaHandler | undefined;
let initError: ReadyMessage['error'];
try {
  // The function's code: loaded after the clock is patched, as Lambda loads it after its runtime.
  const service = require(data.servicePath) as Record<string, unknown>;
  const candidate = service[data.handler];
  if (typeof candidate === 'function') handler = candidate as LambdaHandler;
  else
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `index.${data.handler} is undefined or not exported`,
    };
} catch (error) {
  const { errorType, errorMessage } = errorFields(error);
  initError = { errorType: 'Runtime.ImportModuleError', errorMessage: `${errorType}: ${errorMessage}` };
}
const initDurationMs = performance.now() - initStarted;
let invocations = 0;
let maxMemoryMb = 0;

function platform(message: string): void {
  writeStdout(encodeControl({ type: 'log', at: clock.epochMs(), message }));
}

function memoryUsedMb(): number {
  // this isolate's heap and external memory: RSS would be the whole host process's
  const heap = getHeapStatistics();
  const used = Math.ceil((heap.total_heap_size + heap.external_memory) / MIB);
  maxMemoryMb = Math.max(maxMemoryMb, used);
  return maxMemoryMb;
}

async function invoke(message: InvokeMessage): Promise<void> {
  const { requestId, trace, deadlineMs } = message;
  const coldStart = invocations === 0;
  invocations++;
  process.env._X_AMZN_TRACE_ID = trace.header;
  platform(`START RequestId: ${requestId} Version: $LATEST`);
  const context = {
    awsRequestId: requestId,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${data.region}:${data.accountId}:function:${data.functionName}`,
    memoryLimitInMB: String(data.memoryMb),
    logGroupName: data.logGroup,
    logStreamName: data.logStream,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadlineMs - clock.epochMs())),
  };
  const startMs = clock.epochMs();
  const started = performance.now();
  let response: unknown;
  let failure: ReturnType<typeof errorFields> | undefined;
  try {
    if (handler === undefined) throw Object.assign(new Error(initError?.errorMessage), { name: initError?.errorType });
    response = await handler(message.event, context);
  } catch (error) {
    failure = errorFields(error);
  }
  const durationMs = performance.now() - started;
  const endMs = clock.epochMs();
  if (failure !== undefined) {
    platform(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(failure)}`);
  }
  platform(`END RequestId: ${requestId}`);
  const init = coldStart ? `Init Duration: ${initDurationMs.toFixed(2)} ms\t` : '';
  const status = failure !== undefined ? `Status: error\tError Type: ${failure.errorType}\t` : '';
  platform(
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms\t` +
      `Memory Size: ${data.memoryMb} MB\tMax Memory Used: ${memoryUsedMb()} MB\t${init}${status}\n` +
      // the runtime samples every invocation (newTraceHeader)
      `XRAY TraceId: ${trace.traceId}\tSegmentId: ${trace.parentId}\tSampled: true\t`,
  );
  const statusCode = (response as { statusCode?: unknown } | null | undefined)?.statusCode;
  const done: InvocationDone = {
    type: 'done',
    requestId,
    ok: failure === undefined,
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    ...(failure === undefined
      ? { response }
      : { error: { errorType: failure.errorType, errorMessage: failure.errorMessage } }),
    coldStart,
    durationMs,
    startMs,
    endMs,
  };
  let line: string;
  try {
    line = encodeControl(done);
  } catch {
    // a response JSON cannot carry (a cycle, a BigInt) is Lambda's serialization error
    line = encodeControl({
      ...done,
      ok: false,
      response: undefined,
      error: { errorType: 'Runtime.SerializationError', errorMessage: 'the response is not JSON-serializable' },
    });
  }
  writeStdout(line);
}

if (parentPort === null) throw new Error('bootstrap: not started as a worker thread (use LocalLambda)');
const port = parentPort;
// One invocation at a time, like a Lambda execution environment: the runtime only sends the next
// when this one is done, and the chain keeps that true even if it did not.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: InvokeMessage | ClockMessage) => {
  if (message.type === 'clock') {
    clock.reset(message.clock);
    return;
  }
  if (message?.type !== 'invoke') return;
  queue = queue.then(() => invoke(message));
});
port.postMessage({ type: 'ready', initDurationMs, ...(initError ? { error: initError } : {}) } satisfies ReadyMessage);
