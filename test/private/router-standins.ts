/**
 * Stand-ins for the router's integration tests: a loopback Step Functions endpoint that keeps
 * executions by name like the real service (a second StartExecution of a name is
 * ExecutionAlreadyExists), and fauxqs (SNS + SQS, in its own Node process: ES modules only)
 * with the router DLQ and one topic per channel fanned out to a queue.
 */
import type { ChildProcess } from 'node:child_process';
import { AwsJsonLoopback } from './aws-json-loopback';
import { startFauxqsProcess } from './fauxqs';

export const START_TARGET = 'AWSStepFunctions.StartExecution';
export const STOP_TARGET = 'AWSStepFunctions.StopExecution';

export interface StepFunctionsStandIn {
  readonly loopback: AwsJsonLoopback;
  readonly endpoint: string;
  /** execution name -> parsed input, in start order */
  readonly executions: Map<string, unknown>;
  readonly stopped: string[];
  /** StartExecution calls (accepted or rejected) */
  startCalls(): number;
  /** When set, the next StartExecution is accepted, then the connection answers 500 (lost reply). */
  loseNextReply: boolean;
}

export async function startStepFunctions(): Promise<StepFunctionsStandIn> {
  const executions = new Map<string, unknown>();
  const stopped: string[] = [];
  const state = { loseNextReply: false };
  const { loopback, endpoint } = await AwsJsonLoopback.start({
    [START_TARGET]: (body) => {
      const name = String(body.name);
      if (executions.has(name)) {
        return {
          status: 400,
          body: { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${name}'` },
        };
      }
      executions.set(name, JSON.parse(String(body.input)));
      if (state.loseNextReply) {
        state.loseNextReply = false;
        return { status: 500, body: { __type: 'InternalFailure', message: 'reply lost after the start' } };
      }
      return {
        body: {
          executionArn: `${String(body.stateMachineArn).replace(':stateMachine:', ':execution:')}:${name}`,
          startDate: 1_700_000_000,
        },
      };
    },
    [STOP_TARGET]: (body) => {
      const arn = String(body.executionArn);
      const name = arn.slice(arn.lastIndexOf(':') + 1);
      if (!executions.has(name)) return { status: 400, body: { __type: 'ExecutionDoesNotExist', message: arn } };
      stopped.push(name);
      return { body: { stopDate: 1_700_000_000 } };
    },
  });
  return {
    loopback,
    endpoint,
    executions,
    stopped,
    startCalls: () => loopback.of(START_TARGET).length,
    get loseNextReply() {
      return state.loseNextReply;
    },
    set loseNextReply(value: boolean) {
      state.loseNextReply = value;
    },
  };
}

export interface RouterFauxqs {
  readonly child: ChildProcess;
  readonly address: string;
  readonly dlqUrl: string;
  /** channel -> topic ARN */
  readonly topics: Record<string, string>;
  /** channel -> URL of the queue subscribed to its topic */
  readonly queues: Record<string, string>;
}

export async function startRouterFauxqs(region: string, channels: readonly string[]): Promise<RouterFauxqs> {
  const f = await startFauxqsProcess({ region, queues: ['maif-router-dlq'], channels });
  return {
    child: f.child,
    address: f.address,
    dlqUrl: f.queueUrls['maif-router-dlq'],
    topics: f.topics,
    queues: f.queues,
  };
}
