/**
 * The environment variables the kit's own handlers (and the CLI) read, set by the CDK
 * constructs: one name per setting, used on both sides. The instrumentation core's own
 * variables are `INSTRUMENTATION_ENV` in layers/instrumentation/environment.ts.
 */
export const KIT_ENV = {
  /** The alert state table's name (router, escalation, ack API). */
  alertTable: 'MAIF_ALERT_TABLE',
  /** JSON `{ channel: topicArn }` of the notification topics. */
  channelTopics: 'MAIF_CHANNEL_TOPICS',
  /** The ack API's base URL, for links in notifications. */
  ackUrl: 'MAIF_ACK_URL',
  /** `links` (signed links only) or `iam` (IAM-authorized calls). */
  ackMode: 'MAIF_ACK_MODE',
  /** The Secrets Manager ARN of the key that signs ack and silence links. */
  linkSecretArn: 'MAIF_LINK_SECRET_ARN',
  /** The Secrets Manager ARN of the key that signs alarm metadata (alarms created outside the stack). */
  alarmSigningSecretArn: 'MAIF_ALARM_SIGNING_SECRET_ARN',
  /** The log aggregator's dead-letter queue URL. */
  dlqUrl: 'MAIF_DLQ_URL',
  /** The kit's EventBridge bus, where kit alerts are published. */
  eventBusName: 'MAIF_EVENT_BUS_NAME',
  /** The escalation state machine the router starts. */
  escalationStateMachineArn: 'MAIF_ESCALATION_STATE_MACHINE_ARN',
  /** The router's dead-letter queue URL. */
  routerDlqUrl: 'MAIF_ROUTER_DLQ_URL',
  /** PagerDuty's Events API v2 URL (overridable for tests and regional endpoints). */
  pagerdutyEndpoint: 'MAIF_PAGERDUTY_ENDPOINT',
  /** The Firehose delivery stream of the OpenSearch forwarder. */
  deliveryStreamName: 'MAIF_DELIVERY_STREAM_NAME',
  /** The ack API URL the `maif-obs alerts` commands call. */
  ackApiUrl: 'MAIF_ACK_API_URL',
} as const;
