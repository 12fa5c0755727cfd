/** The alert pipeline's CDK constructs. */

export { CHANNEL_NAMES, type ChannelName } from '../../domain/contracts/channels';
export { ESCALATION_FAILED_ERROR, ESCALATION_STATES } from '../../domain/contracts/escalation';
export { ACK_API_TIMEOUT, AckApi, type AckApiProps, LINK_KEY_LENGTH } from './ack-api';
export {
  type ChannelsConfig,
  NotificationChannels,
  type NotificationChannelsProps,
  type Notifier,
} from './channels';
export { Escalation, type EscalationProps } from './escalation';
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
