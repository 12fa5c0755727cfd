/**
 * The heartbeat Lambda: on a schedule, puts one `MAIF Alert` named `heartbeat` (severity info,
 * source heartbeat) on the kit's bus, so it travels the whole alert path: EventBridge rule ->
 * router -> the heartbeat-only route. The router counts each arrival in `heartbeat_received`;
 * an alarm on that metric's absence (missing data = breaching) says the path is broken.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KIT_ENV } from '../../domain/contracts/environment';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { bundledConfig } from '../shared/bundled-config';

export const HEARTBEAT_ALERT_NAME = 'heartbeat';
export const HEARTBEAT_SOURCE = 'maif.observability';
export const HEARTBEAT_DETAIL_TYPE = 'MAIF Alert';

/** The configuration the CDK bundles. */
export interface HeartbeatConfig {
  readonly service: string;
}

export interface HeartbeatDeps {
  /** @default - an EventBridgeClient for the function's region */
  readonly eventBridge?: EventBridgeClient;
  /** @default - MAIF_EVENT_BUS_NAME, read once */
  readonly eventBusName?: string;
  /** @default - MAIF_ENVIRONMENT, read once */
  readonly environment?: string;
  readonly now?: () => Date;
}

/** The detail of a heartbeat `MAIF Alert` event (the fields a kit alert carries, plus `source`). */
export interface HeartbeatDetail {
  readonly alertName: typeof HEARTBEAT_ALERT_NAME;
  readonly status: 'firing';
  readonly severity: 'info';
  readonly source: 'heartbeat';
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  /** The send time: each heartbeat is a fresh occurrence of the same alert. */
  readonly startsAt: string;
}

export interface HeartbeatResult {
  readonly eventId: string;
  readonly detail: HeartbeatDetail;
}

export type HeartbeatHandler = (event?: unknown) => Promise<HeartbeatResult>;

export function heartbeatDetail(service: string, environment: string | undefined, at: Date): HeartbeatDetail {
  return {
    alertName: HEARTBEAT_ALERT_NAME,
    status: 'firing',
    severity: 'info',
    source: 'heartbeat',
    // Labels are constant so every heartbeat is the same alert (one fingerprint).
    labels: { service, ...(environment ? { environment } : {}) },
    summary: `heartbeat of the ${service} alert pipeline`,
    startsAt: at.toISOString(),
  };
}

export function createHandler(config: HeartbeatConfig, deps: HeartbeatDeps = {}): HeartbeatHandler {
  const eventBusName = deps.eventBusName ?? process.env[KIT_ENV.eventBusName];
  const environment = deps.environment ?? process.env[INSTRUMENTATION_ENV.environment];
  const now = deps.now ?? (() => new Date());
  let client = deps.eventBridge;
  return async () => {
    if (!eventBusName) throw new Error(`heartbeat: ${KIT_ENV.eventBusName} is not set (the kit bus name or ARN)`);
    client ??= new EventBridgeClient({});
    const at = now();
    const detail = heartbeatDetail(config.service, environment, at);
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: HEARTBEAT_SOURCE,
            DetailType: HEARTBEAT_DETAIL_TYPE,
            Detail: JSON.stringify(detail),
            EventBusName: eventBusName,
            Time: at,
          },
        ],
      }),
    );
    const entry = out.Entries?.[0];
    // A scheduled Lambda that fails is retried by EventBridge and counted in Errors; a heartbeat
    // that silently went nowhere would only show as the missing-heartbeat alarm.
    if (!entry?.EventId) {
      throw new Error(
        `heartbeat: PutEvents rejected the heartbeat (${entry?.ErrorCode ?? 'no entry'}: ${entry?.ErrorMessage ?? ''})`,
      );
    }
    return { eventId: entry.EventId, detail };
  };
}

let lazy: HeartbeatHandler | undefined;

export const handler: HeartbeatHandler = (event) => {
  lazy ??= createHandler(bundledConfig<HeartbeatConfig>('heartbeat'));
  return lazy(event);
};
