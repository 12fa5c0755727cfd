/**
 * Runs a state machine definition taken from a synthesized CloudFormation template with
 * aws-local-stepfunctions: `Fn::Join` / `Fn::GetAtt` / `Ref` are replaced by strings, and Task
 * states are served by local handlers (keyed by state name). Never a hand-written copy of the
 * definition: what runs is what CDK synthesized.
 */
import { StateMachine } from 'aws-local-stepfunctions';

/** One execution event (the library does not export its EventLog type). */
export interface EventLog {
  readonly type: string;
  readonly state?: { readonly name: string; readonly input?: unknown; readonly output?: unknown };
}

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node >= 22); Node 20 lacks it.
const withResolvers = (Promise as unknown as { withResolvers?: unknown }).withResolvers;
if (typeof withResolvers !== 'function') {
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

const PSEUDO: Record<string, string> = {
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

/** A Lambda handler as the `arn:aws:states:::lambda:invoke` integration calls it: `{FunctionName, Payload}` -> `{Payload}`. */
export function lambdaInvoke(handler: (payload: never) => unknown): (input: unknown) => Promise<{ Payload: unknown }> {
  return async (input) => ({ Payload: await handler((input as { Payload: never }).Payload) });
}

export interface LocalRunOptions {
  /** Task state name -> handler (wrap Lambda handlers with `lambdaInvoke`). */
  readonly tasks: Record<string, (input: never) => unknown>;
  /** Wait state name -> milliseconds (0 skips the wait). */
  readonly waits?: Record<string, number>;
  /** Retrying state name -> milliseconds between retries. */
  readonly retryIntervals?: Record<string, number | number[]>;
}

export interface LocalRun {
  /** The execution's output, or an ExecutionError. */
  readonly result: Promise<unknown>;
  readonly abort: () => void;
  /** Every event of the execution, collected once it ends. */
  readonly events: Promise<EventLog[]>;
}

export function runLocal(definition: object, input: unknown, options: LocalRunOptions): LocalRun {
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: options.tasks as never,
      waitTimeOverrides: options.waits,
      retryIntervalOverrides: options.retryIntervals,
    },
  });
  const events = (async () => {
    const all: EventLog[] = [];
    for await (const event of run.eventLogs) all.push(event as EventLog);
    return all;
  })();
  return { result: run.result, abort: run.abort, events };
}

/** The states entered in order, by name. */
export function enteredStates(events: readonly EventLog[]): string[] {
  return events.flatMap((e) => (e.type === 'StateEntered' && e.state ? [e.state.name] : []));
}
