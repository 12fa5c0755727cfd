/** The alert pipeline's CDK constructs (issue 5). The CLI commands load their own modules. */
export { ACK_API_TIMEOUT, AckApi, type AckApiProps, LINK_KEY_LENGTH } from './ack-api';
export {
  CHANNEL_NAMES,
  type ChannelName,
  type ChannelsConfig,
  NotificationChannels,
  type NotificationChannelsProps,
  type Notifier,
} from './channels';
export { ESCALATION_FAILED_ERROR, ESCALATION_STATES, Escalation, type EscalationProps } from './escalation';
export { AlertPipeline, type AlertPipelineProps } from './pipeline';
export { AlertRouter, type AlertRouterProps } from './router';
export { AlertStateTable, type AlertStateTableProps } from './state-table';
export {
  DEFAULT_HEARTBEAT_SCHEDULE,
  HEARTBEAT_METRIC,
  HEARTBEAT_MISSED_PERIODS,
  Watchdog,
  type WatchdogProps,
  type WatchTargets,
} from './watchdog';
