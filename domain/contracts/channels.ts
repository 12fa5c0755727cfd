/** The channels the kit can notify (config `alerting.channels`). */
export const CHANNEL_NAMES = ['email', 'slack', 'pagerduty'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];
