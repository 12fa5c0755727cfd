/**
 * The escalation: the synthesized state machine run by the Step Functions stand-in, its tasks
 * served by the real escalation handler. The Wait state runs in the check task on the simulated
 * clock, so a 15-minute level takes 15 * 60 / speed real seconds. Every step worth showing
 * (waits, checks, notices, endings) is journaled.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { ESCALATION_STATES } from '../../domain/contracts/escalation';
import { createHandler as createEscalation, type EscalationTask } from '../../lambdas/escalation/index';
import type { AlertStore } from '../../lambdas/shared/alert-store';
import { parseDuration } from '../../layers/instrumentation/units';
import {
  type EventLog,
  lambdaInvoke,
  type StepFunctionsEmulator,
  startStepFunctions,
  stateMachineDefinitions,
} from '../emulators/step-functions';
import { ESCALATION_ENDINGS } from '../summary';
import type { TemplateJson } from '../synth';
import { ACCOUNT, clientOptions, REGION, type StageContext } from './context';

/** Real ms between retries of the escalation's tasks (the definition's intervals are for AWS). */
const TASK_RETRY_MS = 50;

export interface EscalationParts {
  readonly template: TemplateJson;
  readonly alertStore: AlertStore;
  readonly sns: SNSClient;
  readonly topicArns: Record<string, string>;
  /** Where the signed ack links of the notices point: the page. */
  readonly ackBaseUrl: string;
  readonly linkKey: string;
}

export interface Escalation {
  readonly stateMachineArn: string;
  readonly stepFunctions: StepFunctionsEmulator;
  /** The SFNClient the router starts executions with. */
  readonly client: SFNClient;
  /** Ends every wait at once (the sandbox is stopping). */
  abortWaits(): void;
}

export async function startEscalation(ctx: StageContext, parts: EscalationParts): Promise<Escalation> {
  const { config, clock } = ctx.setup;
  const { id, definition } = escalationStateMachine(parts.template);
  const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
  const escalation = createEscalation(
    { linkTtlSeconds: Math.round(parseDuration(config.alerting.ackLinkExpiry) / 1000) },
    {
      store: parts.alertStore,
      sns: parts.sns,
      topicArns: parts.topicArns,
      ackBaseUrl: parts.ackBaseUrl,
      linkKey: async () => parts.linkKey,
      now: clock.date,
    },
  );
  const waits = new AbortController();
  const check = async (task: EscalationTask) => {
    // The synthesized Wait reads $.cursor.delaySeconds, which is what this task receives as its cursor.
    await clock.sleep((task.cursor?.delaySeconds ?? 0) * 1000, waits.signal);
    if (waits.signal.aborted) throw new Error('sandbox stopping');
    return escalation(task);
  };
  const stepFunctions = ctx.lifecycle.own(
    await startStepFunctions({
      definition,
      stateMachineArn,
      tasks: {
        [ESCALATION_STATES.check]: lambdaInvoke(check),
        [ESCALATION_STATES.notify]: lambdaInvoke(escalation),
      },
      waits: { [ESCALATION_STATES.wait]: 0 },
      retryIntervals: { [ESCALATION_STATES.check]: TASK_RETRY_MS, [ESCALATION_STATES.notify]: TASK_RETRY_MS },
      onEvent: (execution, event) => {
        const step = escalationStep(event);
        if (step === undefined) return;
        const fingerprint = execution.slice(0, execution.lastIndexOf('-'));
        ctx.records.record({ kind: 'escalation', at: clock.now(), execution, fingerprint, ...step });
      },
    }),
  );
  return {
    stateMachineArn,
    stepFunctions,
    client: new SFNClient(clientOptions(stepFunctions.endpoint)),
    abortWaits: () => waits.abort(),
  };
}

/** The escalation's state machine in the template: the one whose definition has the escalation's start state. */
function escalationStateMachine(template: TemplateJson): { id: string; definition: object } {
  const definitions = stateMachineDefinitions(template);
  const id = Object.keys(definitions).find((key) =>
    JSON.stringify(definitions[key]).includes(JSON.stringify(ESCALATION_STATES.start)),
  );
  if (!id) throw new Error('the synthesized template has no escalation state machine');
  return { id, definition: definitions[id] };
}

/** The journal's view of one escalation event: the waits, checks, notices and endings; undefined for the rest. */
function escalationStep(event: EventLog): { state: string; detail?: string } | undefined {
  const state = event.state?.name;
  if (state === undefined) {
    return event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' ? { state: event.type } : undefined;
  }
  if (event.type === 'StateEntered' && state === ESCALATION_STATES.wait) {
    const input = event.state?.input as
      | {
          cursor?: { delaySeconds?: number; level?: number };
          input?: { levels?: { name: string; channels: string[] }[] };
        }
      | undefined;
    const level = input?.cursor?.level ?? 0;
    const target = input?.input?.levels?.[level];
    const to = target ? ` (${target.name}: ${target.channels.join(', ')})` : '';
    return { state, detail: `${input?.cursor?.delaySeconds ?? 0}s, then level ${level}${to}` };
  }
  if (event.type === 'StateExited' && state === ESCALATION_STATES.check) {
    return { state, detail: (event.state?.output as { check?: { reason?: string } } | undefined)?.check?.reason };
  }
  if (event.type === 'StateExited' && state === ESCALATION_STATES.notify) {
    const sent = (event.state?.output as { notified?: { sent?: string[] } } | undefined)?.notified?.sent ?? [];
    return { state, detail: `sent: ${sent.join(', ') || 'none'}` };
  }
  return event.type === 'StateEntered' && ESCALATION_ENDINGS.has(state) ? { state } : undefined;
}
