/**
 * The alert pipeline, once the stack is synthesized: the alert table (dynalite, from the template's
 * key schema), the channels (receivers, secrets, notifiers, SNS topics), the ack API behind the
 * page, the escalation state machine and the router. Events that reached the router's inbox
 * before it was up are routed then, in order.
 */
import { randomBytes } from 'node:crypto';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { startAlertTable } from '../emulators/dynamodb';
import type { TemplateJson } from '../synth';
import { type AckApi, startAckApi } from './ack-api';
import { type NotificationObserver, startChannels } from './channels';
import { REGION, resourceName, type StageContext } from './context';
import { startEscalation } from './escalation';
import type { Logs } from './logs';
import { type RouterInbox, startRouter } from './router';
import type { StandIns } from './stand-ins';

export interface Pipeline {
  /** The real ack API handler, as its AWS_IAM Function URL would call it. */
  readonly ackApi: AckApi;
  /** The alert table as the router, the escalation and the ack API read and write it. */
  readonly alertStore: AlertStore;
  /** Resolves once routing, escalations and deliveries in flight have ended. */
  idle(): Promise<void>;
}

export interface PipelineDeps {
  readonly synthesis: Promise<{ template: TemplateJson; cached: boolean }>;
  readonly standIns: Pick<StandIns, 'sqs' | 'dlqUrl'>;
  readonly logs: Pick<Logs, 'kitMetrics'>;
  readonly inbox: RouterInbox;
  /** The page's URL: the signed ack links point there. */
  readonly pageUrl: string;
  /** Told of every notification a channel's topic delivers (the replay prints them). */
  readonly onNotification?: NotificationObserver;
}

export async function startPipeline(ctx: StageContext, deps: PipelineDeps): Promise<Pipeline> {
  const { setup, records, lifecycle } = ctx;
  const { template, cached } = await deps.synthesis;
  records.status(
    `stack: synthesized template of ${setup.config.service} ${setup.environment}${cached ? ' (cached)' : ''}`,
  );
  const table = lifecycle.own(await startAlertTable(template, { region: REGION }));
  const alertStore = new AlertStore({ client: table.client, tableName: table.tableName, now: setup.clock.now });
  const linkKey = randomBytes(32).toString('hex');
  const channels = await startChannels(ctx, deps.onNotification);
  const sns = channels.client;
  const topicArns = channels.topicArns;
  const ackApi = startAckApi(ctx, { alertStore, sns, topicArns, linkKey });
  const escalation = await startEscalation(ctx, {
    template,
    alertStore,
    sns,
    topicArns,
    ackBaseUrl: deps.pageUrl,
    linkKey,
  });
  const routing = startRouter(ctx, {
    table,
    alertStore,
    sfn: escalation.client,
    stateMachineArn: escalation.stateMachineArn,
    sns,
    topicArns,
    sqs: deps.standIns.sqs,
    dlqUrl: deps.standIns.dlqUrl,
    metrics: deps.logs.kitMetrics(resourceName(setup, 'alert-router')),
  });
  deps.inbox.connect(routing.route);
  records.status(
    `alert pipeline: dynalite table, escalation state machine, ${channels.names.join(', ') || 'no'} channel(s)`,
  );
  const idle = async () => {
    await routing.idle();
    await escalation.stepFunctions.idle();
    await channels.sns.idle();
  };
  // Stopping ends the escalations' waits at once, then waits for what is in flight.
  lifecycle.drainWith(() => {
    escalation.abortWaits();
    return idle();
  });
  return { ackApi, alertStore, idle };
}
