/**
 * The router (the real handler) as Lambda runs it for EventBridge: alarm state changes and the
 * kit's bus events are routed concurrently, but the events of one alarm (or one kit alert) stay in
 * order, and a failing event is retried twice before it goes to the on-failure destination.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ALARM_SOURCE } from '../../domain/contracts/events';
import { alarmNamesOf } from '../../domain/routing/alarm-trust';
import { routerConfigOf } from '../../domain/routing/routing';
import { compileAlerting } from '../../domain/rules/alarms';
import { createHandler as createRouter } from '../../lambdas/router/index';
import type { AlertStore } from '../../lambdas/shared/alert-store';
import type { Metrics } from '../../layers/instrumentation/metrics';
import type { AlertTable } from '../emulators/dynamodb';
import type { StageContext } from './context';

/** Attempts of Lambda's asynchronous invocation: the first and two retries. */
const ROUTER_ATTEMPTS = 3;

type Route = (event: unknown) => Promise<void>;

/** Where events for the router arrive: they wait here until the router is up, then go straight to it. */
export class RouterInbox {
  readonly #waiting: unknown[] = [];
  #route: Route | undefined;

  send(event: unknown): void {
    if (this.#route) void this.#route(event);
    else this.#waiting.push(event);
  }

  /** From now on events go to `route`; those that waited go first, in arrival order. */
  connect(route: Route): void {
    this.#route = route;
    for (const event of this.#waiting.splice(0)) void route(event);
  }
}

export interface RouterDeps {
  readonly table: Pick<AlertTable, 'client' | 'tableName'>;
  readonly alertStore: AlertStore;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly sns: SNSClient;
  readonly topicArns: Record<string, string>;
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly metrics: Metrics;
}

export interface Routing {
  readonly route: Route;
  /** Resolves once every event routed so far has been handled. */
  idle(): Promise<void>;
}

export function startRouter(ctx: StageContext, deps: RouterDeps): Routing {
  const { config, environment, clock } = ctx.setup;
  // the sandbox's alarm loop runs the alarms compileAlerting compiles, as the stack deploys them: trusted
  const router = createRouter(routerConfigOf(config.alerting, alarmNamesOf(compileAlerting(config))), {
    dynamodb: deps.table.client,
    sfn: deps.sfn,
    sns: deps.sns,
    sqs: deps.sqs,
    metrics: deps.metrics,
    env: {
      tableName: deps.table.tableName,
      stateMachineArn: deps.stateMachineArn,
      topicArns: deps.topicArns,
      dlqUrl: deps.dlqUrl,
      namespace: config.namespace,
      service: config.service,
      environment,
    },
    now: clock.now,
    sleep: (ms) => clock.sleep(ms),
    log: () => {},
  });
  const routeOnce = async (event: unknown) => {
    const { alertName, source } = describe(event);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await router(event);
        ctx.records.record({
          kind: 'routed',
          at: clock.now(),
          alertName,
          fingerprint: result.fingerprint,
          outcome: result.outcome,
          episode: result.episode,
          reason: result.reason,
          source,
        });
        if (result.fingerprint !== undefined && !ctx.records.knownAlerts.has(result.fingerprint)) {
          await learnAlert(ctx, deps.alertStore, result.fingerprint);
        }
        return;
      } catch (error) {
        if (attempt >= ROUTER_ATTEMPTS || ctx.lifecycle.stopping) {
          ctx.records.record({
            kind: 'routed',
            at: clock.now(),
            alertName,
            outcome: 'failed',
            reason: String(error),
            source,
          });
          ctx.records.problem(`router failed on ${alertName}`, error);
          return;
        }
      }
    }
  };
  return inOrderPerAlert(routeOnce);
}

/** Runs `route` concurrently across alerts, one event after the other for the same alert name. */
function inOrderPerAlert(route: Route): Routing {
  const chains = new Map<string, Promise<void>>();
  return {
    route: (event) => {
      const { alertName } = describe(event);
      const chain = (chains.get(alertName) ?? Promise.resolve()).then(() => route(event));
      chains.set(alertName, chain);
      void chain.then(() => {
        if (chains.get(alertName) === chain) chains.delete(alertName);
      });
      return chain;
    },
    idle: async () => {
      await Promise.all([...chains.values()]);
    },
  };
}

/**
 * Keeps a copy of what the router stored for `fingerprint`: the page matches silences against it
 * synchronously (an alert's name, severity and labels never change for its fingerprint).
 */
async function learnAlert(ctx: StageContext, alertStore: AlertStore, fingerprint: string): Promise<void> {
  try {
    const stored = await alertStore.getAlert(fingerprint);
    if (stored) {
      ctx.records.knownAlerts.set(fingerprint, {
        alertName: stored.alertName,
        severity: stored.severity,
        labels: stored.labels,
      });
    }
  } catch (error) {
    ctx.records.problem(`reading alert ${fingerprint} failed`, error);
  }
}

/** The alert name and source of a router event, for the journal. */
function describe(event: unknown): { alertName: string; source: string } {
  const e = event as { source?: string; detail?: { alarmName?: string; alertName?: string } };
  if (e.source === ALARM_SOURCE) return { alertName: e.detail?.alarmName ?? '?', source: 'cloudwatch' };
  return { alertName: e.detail?.alertName ?? '?', source: e.source ?? '?' };
}
