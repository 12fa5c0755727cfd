import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../domain/config/index';
import { alarmNamesOf } from '../../domain/routing/alarm-trust';
import { routerConfigOf } from '../../domain/routing/routing';
import { compileAlerting } from '../../domain/rules/alarms';
import { parseDuration } from '../../layers/instrumentation/units';
import { AckApi } from './ack-api';
import { NotificationChannels } from './channels';
import { Escalation } from './escalation';
import { AlertRouter } from './router';
import { AlertStateTable } from './state-table';
import { Watchdog } from './watchdog';

export interface AlertPipelineProps {
  /** One resolved environment: `alerting`, `service`, `namespace`, `lambda`, `logging`. */
  readonly config: ResolvedConfig;
  /** The stack's KMS key: table, topics, queues, log groups, link secret. */
  readonly key: kms.IKey;
  /** The kit bus: kit alerts and heartbeats reach the router through it. */
  readonly bus: events.IEventBus;
  /**
   * Recipients of the fallback topic the watchdog's alarms go to.
   * @default - alerting.channels.email.recipients
   */
  readonly fallbackEmails?: readonly string[];
  /**
   * Principals allowed to call the ack API (the `maif-obs` CLI).
   * @default - none: use `ackApi.grantInvoke(role)`
   */
  readonly operators?: readonly iam.IGrantable[];
  /**
   * Signed ack / silence links in messages, served by a NONE-auth Function URL.
   * @default true
   */
  readonly links?: boolean;
  /**
   * How often the heartbeat goes through the pipeline.
   * @default '5m'
   */
  readonly heartbeatSchedule?: string;
  /**
   * Only alarms named with this prefix reach the router.
   * @default - `${service}-${environment}-`, the prefix of the kit's alarms
   */
  readonly alarmNamePrefix?: string;
  /**
   * Names of the alarms this stack creates: the only alarms whose description metadata the
   * router believes (any other alarm reaching it is a foreign alert).
   * @default - the alarms `compileAlerting(config)` compiles (what AlertAlarms deploys)
   */
  readonly trustedAlarmNames?: readonly string[];
  /**
   * The HMAC key of signed alarm metadata, to trust alarms created outside this stack.
   * @default - none
   */
  readonly alarmSigningSecret?: secretsmanager.ISecret;
  /**
   * PagerDuty Events API base URL (tests point it at a loopback).
   * @default - https://events.pagerduty.com
   */
  readonly pagerDutyEndpoint?: string;
}

/**
 * The whole alert pipeline from `config.alerting`: the state table, one topic per channel with
 * its notifiers, the escalation state machine, the router (alarm and kit-bus intake), the ack
 * API with signed links, and the watchdog (heartbeat and failure alarms to a fallback topic).
 */
export class AlertPipeline extends Construct {
  readonly stateTable: AlertStateTable;
  readonly channels: NotificationChannels;
  readonly escalation: Escalation;
  readonly router: AlertRouter;
  readonly ackApi: AckApi;
  readonly watchdog: Watchdog;

  constructor(scope: Construct, id: string, props: AlertPipelineProps) {
    super(scope, id);
    const { config, key, bus } = props;
    const alerting = config.alerting;
    const fallbackEmails = props.fallbackEmails ?? alerting.channels.email?.recipients ?? [];
    if (fallbackEmails.length === 0) {
      throw new Error(
        'AlertPipeline fallbackEmails: none given and alerting.channels.email has no recipients (the watchdog needs an address outside the pipeline it watches)',
      );
    }
    let linkTtlSeconds: number;
    try {
      linkTtlSeconds = Math.round(parseDuration(alerting.ackLinkExpiry) / 1000);
    } catch (error) {
      throw new Error(`AlertPipeline alerting.ackLinkExpiry: ${(error as Error).message}`);
    }
    const common = {
      runtime: config.lambda.runtime,
      architecture: config.lambda.architecture,
      logRetention: config.logging.retentionDays as logs.RetentionDays,
    };

    this.stateTable = new AlertStateTable(this, 'StateTable', { encryptionKey: key });
    const table = this.stateTable.table;
    // First, so every other part can send its own alarms to the fallback topic.
    this.watchdog = new Watchdog(this, 'Watchdog', {
      encryptionKey: key,
      bus,
      namespace: config.namespace,
      service: config.service,
      environment: config.environment,
      fallbackEmails,
      heartbeatSchedule: props.heartbeatSchedule,
      ...common,
    });
    const alarmTopic = this.watchdog.fallbackTopic;
    this.channels = new NotificationChannels(this, 'Channels', {
      channels: alerting.channels,
      encryptionKey: key,
      alarmTopic,
      pagerDutyEndpoint: props.pagerDutyEndpoint,
      ...common,
    });
    const topics: Record<string, sns.ITopic> = {};
    for (const [name, topic] of Object.entries(this.channels.topics)) if (topic) topics[name] = topic;
    this.ackApi = new AckApi(this, 'AckApi', {
      table,
      topics,
      encryptionKey: key,
      operators: props.operators,
      links: props.links,
      ...common,
    });
    const linkBaseUrl = this.ackApi.linkBaseUrl;
    this.escalation = new Escalation(this, 'Escalation', {
      table,
      topics,
      encryptionKey: key,
      ...(linkBaseUrl === undefined ? {} : { ackUrl: linkBaseUrl, linkSecret: this.ackApi.linkSecret, linkTtlSeconds }),
      ...common,
    });
    this.router = new AlertRouter(this, 'Router', {
      config: routerConfigOf(alerting, props.trustedAlarmNames ?? alarmNamesOf(compileAlerting(config))),
      alarmSigningSecret: props.alarmSigningSecret,
      table,
      stateMachine: this.escalation.stateMachine,
      topics,
      encryptionKey: key,
      bus,
      namespace: config.namespace,
      service: config.service,
      environment: config.environment,
      alarmNamePrefix: props.alarmNamePrefix,
      alarmTopic,
      ...common,
    });
    // The router's and the notifiers' dead-letter alarms already notify the fallback topic.
    this.watchdog.watch({ topics, stateMachines: { Escalation: this.escalation.stateMachine } });
  }
}
