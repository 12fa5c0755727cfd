/**
 * A loopback Step Functions endpoint (AWS JSON 1.0) for the real @aws-sdk/client-sfn that RUNS
 * every started execution with aws-local-stepfunctions, from the definition CDK synthesized
 * (`stateMachineDefinitions` / `onlyDefinition` resolve its `Fn::Join` / `Fn::GetAtt` / `Ref`).
 * Task states are served by local handlers keyed by state name; a handler that throws behaves
 * like a Lambda error, so the definition's Retry and Catch apply. StartExecution, StopExecution
 * and DescribeExecution answer like the service (a name is used once: ExecutionAlreadyExists,
 * except the idempotent repeat of a running execution's start with the same input), and each
 * execution's events are streamed to `onEvent` as they happen.
 */
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { type AwsJsonReply, awsError, startAwsJsonServer } from './aws-json';
import { notify } from './loopback';

/** One execution event as aws-local-stepfunctions emits it (the library does not export its type). */
export interface EventLog {
  /** ExecutionStarted, StateEntered, StateExited, StateRetried, StateCaught, StateFailed, ExecutionSucceeded, ExecutionFailed, ExecutionAborted, ExecutionTimeout... */
  readonly type: string;
  /** Epoch ms (wall clock). */
  readonly timestamp?: number;
  readonly state?: {
    readonly name: string;
    readonly type?: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  /** ExecutionStarted: the input; ExecutionSucceeded: the output. */
  readonly input?: unknown;
  readonly output?: unknown;
  /** Failure events: the error name and cause. */
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly attempt: number };
}

export type TaskHandler = (input: never) => unknown;

export interface LocalOverrides {
  /** Task state name -> handler (wrap Lambda handlers with `lambdaInvoke`). Every Task state needs one. */
  readonly tasks: Record<string, TaskHandler>;
  /** Wait state name -> real milliseconds (0 skips the wait). */
  readonly waits?: Record<string, number>;
  /** Retrying state name -> milliseconds between retries. */
  readonly retryIntervals?: Record<string, number | number[]>;
}

export interface StepFunctionsOptions extends LocalOverrides {
  /** The state machine definition, already intrinsic-resolved. */
  readonly definition: object;
  readonly stateMachineArn: string;
  /** Every event of every execution as it happens. What it throws is ignored. */
  readonly onEvent?: (executionName: string, event: EventLog) => void;
  /** Epoch ms of startDate / stopDate. @default Date.now */
  readonly now?: () => number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly input: unknown;
  status: ExecutionStatus;
  output?: unknown;
  /** FAILED: the error name (a Fail state's Error, `States.Timeout`, a task's error name); ABORTED: the StopExecution error, if any. */
  error?: string;
  cause?: string;
  readonly startDate: Date;
  stopDate?: Date;
  /** Resolves (never rejects) once the execution has ended and all its events went to `onEvent`. */
  readonly done: Promise<void>;
}

export interface StepFunctionsEmulator {
  /** `http://127.0.0.1:PORT`, the SFNClient's `endpoint`. */
  readonly endpoint: string;
  /** Executions by name, in start order. */
  readonly executions: ReadonlyMap<string, ExecutionRecord>;
  /** Resolves when every execution started so far has ended. */
  idle(): Promise<void>;
  /** Aborts the running executions (status ABORTED), then closes the endpoint. */
  stop(): Promise<void>;
}

export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';

/** aws-local-stepfunctions 3 uses Promise.withResolvers (Node >= 22); Node 20 lacks it. Installed at first run. */
function ensurePromiseWithResolvers(): void {
  if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'local',
};

/** A resource reference as a string: a Lambda-like ARN for `Fn::GetAtt X.Arn`, the logical id for `Ref`. */
export function resolveIntrinsics(node: unknown): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'number') return String(node);
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolveIntrinsics).join(sep);
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      return attr === 'Arn' ? `arn:aws:lambda:us-east-1:123456789012:function:${id}` : `${id}.${attr}`;
    }
    if ('Ref' in o) {
      const ref = o.Ref as string;
      return PSEUDO[ref] ?? ref;
    }
  }
  throw new Error(`local-sfn: cannot resolve ${JSON.stringify(node)} (only Fn::Join, Fn::GetAtt and Ref)`);
}

interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** The definitions of the template's state machines, by logical id, intrinsics resolved. */
export function stateMachineDefinitions(template: { toJSON(): unknown } | TemplateJson): Record<string, object> {
  const json = ('toJSON' in template ? template.toJSON() : template) as TemplateJson;
  const out: Record<string, object> = {};
  for (const [id, resource] of Object.entries(json.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const raw = resource.Properties?.DefinitionString;
    out[id] = JSON.parse(resolveIntrinsics(raw)) as object;
  }
  return out;
}

/** The one state machine definition of a template (throws when there is not exactly one). */
export function onlyDefinition(template: { toJSON(): unknown } | TemplateJson): object {
  const all = Object.values(stateMachineDefinitions(template));
  if (all.length !== 1) throw new Error(`local-sfn: expected 1 state machine in the template, found ${all.length}`);
  return all[0];
}

/**
 * A Lambda handler as the `arn:aws:states:::lambda:invoke` integration calls it:
 * `{FunctionName, Payload}` -> `{Payload}`, the result JSON-serialized like Lambda's (undefined is null).
 */
export function lambdaInvoke(handler: (payload: never) => unknown): (input: unknown) => Promise<{ Payload: unknown }> {
  return async (input) => {
    const result = await handler((input as { Payload: never }).Payload);
    return { Payload: JSON.parse(JSON.stringify(result ?? null)) };
  };
}

interface StateNode {
  readonly Type?: string;
  readonly Branches?: readonly { States?: Record<string, StateNode> }[];
  readonly Iterator?: { States?: Record<string, StateNode> };
  readonly ItemProcessor?: { States?: Record<string, StateNode> };
}

/** Names of the definition's states of `type`, nested Parallel branches and Map processors included. */
export function statesOfType(definition: object, type: string): string[] {
  const out: string[] = [];
  const walk = (states: Record<string, StateNode> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state?.Type === type) out.push(name);
      for (const branch of state?.Branches ?? []) walk(branch.States);
      walk(state?.Iterator?.States);
      walk(state?.ItemProcessor?.States);
    }
  };
  walk((definition as { States?: Record<string, StateNode> }).States);
  return out;
}

/**
 * A StateMachine for `definition` whose every Task state has a local handler: a Task without one
 * would make aws-local-stepfunctions call the real AWS Lambda, which the sandbox never does.
 */
export function localStateMachine(definition: object, overrides: LocalOverrides): StateMachine {
  const d = definition as { StartAt?: unknown; States?: unknown };
  if (typeof d?.StartAt !== 'string' || typeof d.States !== 'object' || d.States === null) {
    throw new Error('step functions definition: has no StartAt and States (pass the resolved definition JSON)');
  }
  const tasks = statesOfType(definition, 'Task');
  const missing = tasks.filter((name) => typeof overrides.tasks?.[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `step functions tasks: no handler for Task state(s) ${missing.map((m) => `'${m}'`).join(', ')} (Task states: ${tasks.join(', ')})`,
    );
  }
  const unknown = Object.keys(overrides.tasks).filter((name) => !tasks.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `step functions tasks: ${unknown.map((u) => `'${u}'`).join(', ')} is not a Task state of the definition (use ${tasks.join(', ')})`,
    );
  }
  ensurePromiseWithResolvers();
  return new StateMachine(definition as never, { validationOptions: { checkArn: false } });
}

/** Starts one run of `machine` with the local overrides; the library's run handle. */
export function runMachine(
  machine: StateMachine,
  input: unknown,
  overrides: LocalOverrides,
  context?: Record<string, unknown>,
): { result: Promise<unknown>; abort: () => void; eventLogs: AsyncGenerator<EventLog> } {
  ensurePromiseWithResolvers();
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: overrides.tasks as never,
      waitTimeOverrides: overrides.waits,
      retryIntervalOverrides: overrides.retryIntervals,
    },
    ...(context ? { context } : {}),
  });
  return { result: run.result, abort: run.abort, eventLogs: run.eventLogs as AsyncGenerator<EventLog> };
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** Characters the service refuses in an execution name (whitespace, brackets, wildcards, specials, controls). */
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;
const MAX_INPUT_BYTES = 256 * 1024;

interface MutableRecord extends ExecutionRecord {
  readonly rawInput: string;
  abort(): void;
}

const epochSeconds = (date: Date) => date.getTime() / 1000;

/** The executions of one state machine, started, stopped and described as Step Functions does. */
class Executions {
  readonly byName = new Map<string, MutableRecord>();
  readonly #byArn = new Map<string, MutableRecord>();
  readonly #options: StepFunctionsOptions;
  readonly #machine: StateMachine;
  readonly #machineName: string;
  readonly #executionPrefix: string;
  readonly #now: () => number;

  constructor(options: StepFunctionsOptions) {
    const arnMatch = STATE_MACHINE_ARN.exec(String(options.stateMachineArn));
    if (!arnMatch) {
      throw new Error(
        `startStepFunctions stateMachineArn: '${options.stateMachineArn}' is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`,
      );
    }
    this.#options = options;
    this.#machineName = arnMatch[1];
    this.#executionPrefix = options.stateMachineArn.replace(':stateMachine:', ':execution:');
    this.#machine = localStateMachine(options.definition, options);
    this.#now = options.now ?? Date.now;
  }

  startExecution(body: Record<string, unknown>): AwsJsonReply {
    if (body.stateMachineArn !== this.#options.stateMachineArn) {
      return awsError(
        400,
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
      );
    }
    const name = body.name === undefined ? randomUUID() : body.name;
    if (typeof name !== 'string' || name.length < 1 || name.length > 80 || INVALID_NAME_CHARS.test(name)) {
      return awsError(
        400,
        'InvalidName',
        `name: ${JSON.stringify(name)} is not an execution name (1 to 80 characters, no whitespace, brackets, wildcards or special characters)`,
      );
    }
    const rawInput = body.input === undefined ? '{}' : body.input;
    let input: unknown;
    try {
      if (typeof rawInput !== 'string') throw new Error('not a string');
      if (Buffer.byteLength(rawInput) > MAX_INPUT_BYTES) throw new Error(`more than ${MAX_INPUT_BYTES} bytes`);
      input = JSON.parse(rawInput);
    } catch (error) {
      return awsError(400, 'InvalidExecutionInput', `input: not valid JSON (${(error as Error).message})`);
    }
    const existing = this.byName.get(name);
    if (existing) {
      // Standard workflows: repeating the start of a running execution with the same input succeeds.
      if (existing.status === 'RUNNING' && existing.rawInput === rawInput) {
        return { body: { executionArn: existing.arn, startDate: epochSeconds(existing.startDate) } };
      }
      return awsError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const record = this.#start(name, rawInput, input);
    return { body: { executionArn: record.arn, startDate: epochSeconds(record.startDate) } };
  }

  stopExecution(body: Record<string, unknown>): AwsJsonReply {
    const record = this.#lookup(body);
    if (!('arn' in record)) return record;
    if (record.status === 'RUNNING') {
      this.#finish(record, 'ABORTED', {
        ...(typeof body.error === 'string' ? { error: body.error } : {}),
        ...(typeof body.cause === 'string' ? { cause: body.cause } : {}),
      });
      record.abort();
    }
    return { body: { stopDate: epochSeconds(record.stopDate ?? new Date(this.#now())) } };
  }

  describeExecution(body: Record<string, unknown>): AwsJsonReply {
    const record = this.#lookup(body);
    if (!('arn' in record)) return record;
    return {
      body: {
        executionArn: record.arn,
        stateMachineArn: this.#options.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: epochSeconds(record.startDate),
        input: record.rawInput,
        ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
        ...(record.status === 'SUCCEEDED' ? { output: JSON.stringify(record.output ?? null) } : {}),
        ...(record.error !== undefined ? { error: record.error } : {}),
        ...(record.cause !== undefined ? { cause: record.cause } : {}),
      },
    };
  }

  /** Resolves when every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.byName.values()].map((e) => e.done));
  }

  abortRunning(): void {
    for (const record of this.byName.values()) {
      if (record.status === 'RUNNING') {
        this.#finish(record, 'ABORTED', {});
        record.abort();
      }
    }
  }

  #start(name: string, rawInput: string, input: unknown): MutableRecord {
    const arn = `${this.#executionPrefix}:${name}`;
    const startDate = new Date(this.#now());
    const run = runMachine(this.#machine, input, this.#options, {
      Execution: { Id: arn, Name: name, StartTime: startDate.toISOString() },
      StateMachine: { Id: this.#options.stateMachineArn, Name: this.#machineName },
    });
    const record = { name, arn, input, rawInput, status: 'RUNNING', startDate, abort: run.abort } as MutableRecord;
    const settled = run.result.then(
      (output) => this.#finish(record, 'SUCCEEDED', { output }),
      (error: Error) => {
        if (error instanceof ExecutionAbortedError) return this.#finish(record, 'ABORTED', {});
        if (error instanceof ExecutionTimeoutError) {
          return this.#finish(record, 'FAILED', { error: 'States.Timeout', cause: 'The execution timed out' });
        }
        const cause = error.cause instanceof Error ? error.cause : error;
        this.#finish(record, 'FAILED', { error: cause.name, cause: cause.message });
      },
    );
    const listeners = this.#options.onEvent ? [this.#options.onEvent] : [];
    const streamed = (async () => {
      try {
        for await (const event of run.eventLogs) notify(listeners, name, event);
      } catch {
        // The library's event stream does not fail; if it did, the execution's outcome still stands.
      }
    })();
    Object.assign(record, { done: Promise.all([settled, streamed]).then(() => undefined) });
    this.byName.set(name, record);
    this.#byArn.set(arn, record);
    return record;
  }

  /** Ends a running record once; a later outcome (the result of an aborted run) is ignored. */
  #finish(record: MutableRecord, status: Exclude<ExecutionStatus, 'RUNNING'>, fields: Partial<ExecutionRecord>): void {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, fields, { status, stopDate: new Date(this.#now()) });
  }

  #lookup(body: Record<string, unknown>): MutableRecord | AwsJsonReply {
    const arn = String(body.executionArn);
    return this.#byArn.get(arn) ?? awsError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }
}

export async function startStepFunctions(options: StepFunctionsOptions): Promise<StepFunctionsEmulator> {
  const executions = new Executions(options);
  const server = await startAwsJsonServer('1.0', {
    [`${SFN_TARGET_PREFIX}StartExecution`]: (body) => executions.startExecution(body),
    [`${SFN_TARGET_PREFIX}StopExecution`]: (body) => executions.stopExecution(body),
    [`${SFN_TARGET_PREFIX}DescribeExecution`]: (body) => executions.describeExecution(body),
  });
  return {
    endpoint: server.endpoint,
    executions: executions.byName,
    idle: () => executions.idle(),
    stop: async () => {
      executions.abortRunning();
      await executions.idle();
      await server.stop();
    },
  };
}
