/**
 * Runs a state machine definition taken from a synthesized CloudFormation template with
 * aws-local-stepfunctions: Task states are served by local handlers (keyed by state name).
 * Never a hand-written copy of the definition: what runs is what CDK synthesized. The
 * definition helpers live with the sandbox's Step Functions emulator and are re-exported here.
 */
import {
  type EventLog,
  type LocalOverrides,
  localStateMachine,
  runMachine,
} from '../../sandbox/emulators/step-functions';

export {
  type EventLog,
  lambdaInvoke,
  onlyDefinition,
  resolveIntrinsics,
  stateMachineDefinitions,
} from '../../sandbox/emulators/step-functions';

/** Task handlers (wrap Lambda handlers with `lambdaInvoke`), wait and retry overrides in ms. */
export type LocalRunOptions = LocalOverrides;

export interface LocalRun {
  /** The execution's output, or an ExecutionError. */
  readonly result: Promise<unknown>;
  readonly abort: () => void;
  /** Every event of the execution, collected once it ends. */
  readonly events: Promise<EventLog[]>;
}

export function runLocal(definition: object, input: unknown, options: LocalRunOptions): LocalRun {
  const run = runMachine(localStateMachine(definition, options), input, options);
  const events = (async () => {
    const all: EventLog[] = [];
    for await (const event of run.eventLogs) all.push(event);
    return all;
  })();
  return { result: run.result, abort: run.abort, events };
}

/** The states entered in order, by name. */
export function enteredStates(events: readonly EventLog[]): string[] {
  return events.flatMap((e) => (e.type === 'StateEntered' && e.state ? [e.state.name] : []));
}
