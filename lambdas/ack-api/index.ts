/**
 * The ack API Lambda, served by a Lambda Function URL.
 *
 * Two deployments of this code (MAIF_ACK_MODE):
 * - `iam` (Function URL AuthType AWS_IAM): the JSON API the `maif-obs` CLI calls with SigV4:
 *   GET /alerts, POST /alerts/{fp}/ack, GET|POST /silences, DELETE /silences/{id},
 *   GET|POST /maintenance, POST /maintenance/{id}/end. It also serves the link routes.
 * - `links` (Function URL AuthType NONE): only the signed-link routes, for clicks from Slack and
 *   e-mail, where a browser cannot sign with SigV4. GET /ack and GET /silence with a valid,
 *   unexpired signature show a confirmation page; its form POSTs the same signed fields, and
 *   only the POST acts (link unfurlers and mail scanners fetch GETs).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Alert, Notification } from '../../domain/contracts/alert';
import type { AlertRecord, Matcher } from '../../domain/contracts/alert-state';
import { KIT_ENV } from '../../domain/contracts/environment';
import {
  cachedLinkKey,
  DEFAULT_LINK_SILENCE_SECONDS,
  LINK_PARAMS,
  LINK_PATHS,
  type LinkKey,
  verifyParams,
} from '../../domain/routing/links';
import { AlertStore } from '../shared/alert-store';
import { bundledConfig } from '../shared/bundled-config';
import { dispatch as realDispatch } from '../shared/dispatch';
import { SecretCache } from '../shared/secrets';
import {
  bodyText,
  escapeHtml,
  type FunctionUrlEvent,
  type FunctionUrlResult,
  formParams,
  html,
  iamCaller,
  json,
  MAX_BODY_BYTES,
  problem,
  queryParams,
} from './http';
import { MAX_WINDOW_SECONDS, parseJson, parseMaintenance, parseSilence, RequestError } from './validate';

export type { FunctionUrlEvent, FunctionUrlResult } from './http';
export type { MaintenanceRequest, SilenceRequest } from './validate';

export const ACK_API_MODES = ['iam', 'links'] as const;
export type AckApiMode = (typeof ACK_API_MODES)[number];

/** The configuration the CDK bundles (none needed yet; kept for the handler contract). */
export type AckApiConfig = Readonly<Record<string, never>>;

/** The part of the alert store the ack API uses (AlertStore satisfies it). */
export type AckStore = Pick<
  AlertStore,
  | 'listAlerts'
  | 'getAlert'
  | 'acknowledge'
  | 'putSilence'
  | 'deleteSilence'
  | 'listSilences'
  | 'putMaintenance'
  | 'listMaintenance'
  | 'listNotifications'
  | 'claimNotification'
  | 'releaseNotification'
>;

export type Dispatch = typeof realDispatch;

export interface AckApiDeps {
  /** @default - MAIF_ACK_MODE, read once; `iam` when unset */
  readonly mode?: AckApiMode;
  /** @default - an AlertStore over MAIF_ALERT_TABLE */
  readonly store?: AckStore;
  readonly dynamodb?: DynamoDBClient;
  /** @default - a SNSClient for the function's region */
  readonly sns?: SNSClient;
  /** channel -> topic ARN. @default - MAIF_CHANNEL_TOPICS (JSON), read once */
  readonly topicArns?: Readonly<Record<string, string>>;
  /** The HMAC key of signed links. @default - the secret MAIF_LINK_SECRET_ARN, fetched once */
  readonly linkKey?: () => Promise<LinkKey>;
  readonly dispatch?: Dispatch;
  readonly now?: () => Date;
}

export type AckApiHandler = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

const LINK_ACTOR = 'signed link';

function warn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_ack_api_warning', message })}\n`);
}

function parseTopics(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, string>;
  } catch {
    // reported below
  }
  warn(`${KIT_ENV.channelTopics} is not a JSON object of channel -> topic ARN; acknowledgements will not be announced`);
  return {};
}

function environmentDeps(deps: AckApiDeps) {
  const env = process.env;
  const mode = deps.mode ?? ((env[KIT_ENV.ackMode] as AckApiMode | undefined) || 'iam');
  if (!ACK_API_MODES.includes(mode)) {
    throw new Error(`ack api: ${KIT_ENV.ackMode} '${mode}' is not one of ${ACK_API_MODES.join(', ')}`);
  }
  const tableName = env[KIT_ENV.alertTable];
  let store = deps.store;
  if (!store) {
    if (!tableName) throw new Error(`ack api: ${KIT_ENV.alertTable} is not set (the alert state table name)`);
    store = new AlertStore({ client: deps.dynamodb ?? new DynamoDBClient({}), tableName });
  }
  let linkKey = deps.linkKey;
  if (!linkKey) {
    const secretArn = env[KIT_ENV.linkSecretArn];
    const secrets = new SecretCache(new SecretsManagerClient({}));
    linkKey = cachedLinkKey(async () => {
      if (!secretArn) throw new Error(`ack api: ${KIT_ENV.linkSecretArn} is not set (the signed-link key secret)`);
      return (await secrets.get(secretArn)).trim();
    });
  }
  return {
    mode,
    store,
    linkKey,
    topicArns: deps.topicArns ?? parseTopics(env[KIT_ENV.channelTopics]),
    sns: deps.sns,
    dispatch: deps.dispatch ?? realDispatch,
    now: deps.now ?? (() => new Date()),
  };
}

type Ctx = ReturnType<typeof environmentDeps>;

/** The stored alert as the Alert a notification carries. */
function alertOf(r: AlertRecord): Alert {
  return {
    fingerprint: r.fingerprint,
    alertName: r.alertName,
    status: 'firing',
    severity: r.severity,
    labels: r.labels,
    annotations: r.annotations,
    startsAt: r.startsAt,
    source: r.source ?? 'cloudwatch',
    // The notice is not an EventBridge event; this id names what caused it.
    eventId: `ack-${r.fingerprint}-${r.episode}`,
  };
}

/** Kinds of notice that mean a channel was paged in an episode. */
const PAGE_KINDS: ReadonlySet<string> = new Set(['firing', 'escalation', 'repeat']);

/** firing -> acked, then one `acknowledged` notice per channel (dispatch claims it: once per episode). */
async function acknowledge(ctx: Ctx, fingerprint: string, by: string): Promise<FunctionUrlResult> {
  const record = await ctx.store.getAlert(fingerprint);
  if (!record) return problem(404, `alert '${fingerprint}' does not exist`);
  const acked = await ctx.store.acknowledge(fingerprint, by);
  if (!acked) return json(409, { acknowledged: false, fingerprint, status: record.status });
  const { episode } = record;
  try {
    // Tell the channels that were paged in this episode (PagerDuty turns it into `acknowledge`).
    const log = await ctx.store.listNotifications(fingerprint, episode);
    const channels = [...new Set(log.filter((n) => PAGE_KINDS.has(n.kind)).map((n) => n.channel))];
    if (channels.length > 0) {
      const notification: Notification = {
        kind: 'acknowledged',
        alert: alertOf(record),
        episode,
        level: 0,
        sentAt: ctx.now().toISOString(),
      };
      ctx.sns ??= new SNSClient({});
      await ctx.dispatch(notification, channels, { sns: ctx.sns, topicArns: ctx.topicArns, store: ctx.store });
    }
  } catch (error) {
    // The acknowledgement stands (escalation stops on the state check); only the notice failed.
    warn(`acknowledged '${fingerprint}' but the notice failed: ${String(error)}`);
  }
  return json(200, { acknowledged: true, fingerprint, episode, by });
}

async function silenceFor(ctx: Ctx, fingerprint: string, seconds: number, by: string): Promise<FunctionUrlResult> {
  const record = await ctx.store.getAlert(fingerprint);
  if (!record) return problem(404, `alert '${fingerprint}' does not exist`);
  const matchers: Matcher[] = [
    { name: 'alertname', value: record.alertName },
    ...Object.entries(record.labels).map(([name, value]) => ({ name, value })),
  ];
  const now = ctx.now();
  const silence = {
    id: randomUUID(),
    matchers,
    startsAt: now.toISOString(),
    endsAt: new Date(now.getTime() + seconds * 1000).toISOString(),
    comment: `silenced from a link for ${seconds}s`,
    createdBy: by,
  };
  await ctx.store.putSilence(silence);
  return json(201, silence);
}

// ---- signed links --------------------------------------------------------------------------

function linkPage(action: 'ack' | 'silence', fields: Record<string, string>, summary: string): FunctionUrlResult {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const verb = action === 'ack' ? 'Acknowledge' : `Silence for ${Math.round(Number(fields.d) / 60)} minutes`;
  return html(
    200,
    `${verb}: ${summary}`,
    `<h1>${escapeHtml(verb)}</h1><p>${escapeHtml(summary)}</p><form method="post" action="${LINK_PATHS[action]}">${inputs}<button type="submit">${escapeHtml(verb)}</button></form>`,
  );
}

async function link(ctx: Ctx, event: FunctionUrlEvent, action: 'ack' | 'silence'): Promise<FunctionUrlResult> {
  const method = event.requestContext.http.method;
  const fields = method === 'GET' ? queryParams(event) : formParams(event);
  const key = await ctx.linkKey();
  const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
  const verified = verifyParams(LINK_PATHS[action], fields, key, nowSeconds);
  if (!verified.ok) {
    const why = verified.reason === 'expired' ? 'this link has expired' : 'this link is not valid';
    return html(403, 'Forbidden', `<h1>Forbidden</h1><p>${why}; use <code>maif-obs</code> instead.</p>`);
  }
  const fingerprint = verified.params[LINK_PARAMS.fingerprint] ?? '';
  const seconds = Math.min(
    Number(verified.params[LINK_PARAMS.duration] ?? DEFAULT_LINK_SILENCE_SECONDS),
    MAX_WINDOW_SECONDS,
  );
  if (method === 'GET') {
    const record = await ctx.store.getAlert(fingerprint);
    if (!record) return html(404, 'Not found', `<h1>Not found</h1><p>No alert ${escapeHtml(fingerprint)}.</p>`);
    const summary = `${record.alertName} (${record.status}): ${record.annotations.summary}`;
    return linkPage(action, fields, summary);
  }
  const result =
    action === 'ack'
      ? await acknowledge(ctx, fingerprint, LINK_ACTOR)
      : await silenceFor(ctx, fingerprint, seconds, LINK_ACTOR);
  const messages: Record<number, string> = {
    200: 'Acknowledged: escalation stops.',
    201: `Silenced for ${Math.round(seconds / 60)} minutes.`,
    404: 'This alert does not exist (any more).',
    409: 'Already acknowledged or resolved: nothing to do.',
  };
  return html(result.statusCode, 'maif-obs', `<p>${escapeHtml(messages[result.statusCode] ?? 'Done.')}</p>`);
}

// ---- the IAM API ---------------------------------------------------------------------------

const ACK_ROUTE = /^\/alerts\/([A-Za-z0-9_-]{1,128})\/ack$/;
const SILENCE_ROUTE = /^\/silences\/([A-Za-z0-9_-]{1,64})$/;
const MAINTENANCE_END_ROUTE = /^\/maintenance\/([A-Za-z0-9_-]{1,64})\/end$/;

async function api(ctx: Ctx, event: FunctionUrlEvent, caller: string): Promise<FunctionUrlResult> {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const query = queryParams(event);
  const nowMs = ctx.now().getTime();
  const body = () => {
    const text = bodyText(event);
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new RequestError(`body: over ${MAX_BODY_BYTES} bytes`);
    return parseJson(text);
  };
  const active = query.all === 'true' ? undefined : nowMs;

  if (method === 'GET' && path === '/alerts') {
    const alerts = await ctx.store.listAlerts();
    const status = query.status;
    return json(200, { alerts: status ? alerts.filter((a) => a.status === status) : alerts });
  }
  let match = ACK_ROUTE.exec(path);
  if (method === 'POST' && match) return acknowledge(ctx, match[1], caller);

  if (method === 'GET' && path === '/silences') {
    return json(200, { silences: await ctx.store.listSilences(active) });
  }
  if (method === 'POST' && path === '/silences') {
    const silence = { id: randomUUID(), ...parseSilence(body(), nowMs), createdBy: caller };
    await ctx.store.putSilence(silence);
    return json(201, silence);
  }
  match = SILENCE_ROUTE.exec(path);
  if (method === 'DELETE' && match) {
    const deleted = await ctx.store.deleteSilence(match[1]);
    return !deleted ? problem(404, `silence '${match[1]}' does not exist`) : json(200, { deleted: match[1] });
  }

  if (method === 'GET' && path === '/maintenance') {
    return json(200, { maintenance: await ctx.store.listMaintenance(active) });
  }
  if (method === 'POST' && path === '/maintenance') {
    const window = { id: randomUUID(), ...parseMaintenance(body(), nowMs), createdBy: caller };
    await ctx.store.putMaintenance(window);
    return json(201, window);
  }
  match = MAINTENANCE_END_ROUTE.exec(path);
  if (method === 'POST' && match) {
    const id = match[1];
    const found = (await ctx.store.listMaintenance()).find((m) => m.id === id);
    if (!found) return problem(404, `maintenance window '${id}' does not exist`);
    const endsAt = new Date(Math.min(nowMs, Date.parse(found.endsAt))).toISOString();
    const ended = { ...found, endsAt };
    await ctx.store.putMaintenance(ended);
    return json(200, ended);
  }
  return problem(
    404,
    `${method} ${path} is not a route (GET /alerts, POST /alerts/{fp}/ack, GET|POST /silences, DELETE /silences/{id}, GET|POST /maintenance, POST /maintenance/{id}/end)`,
  );
}

export function createHandler(_config: AckApiConfig = {}, deps: AckApiDeps = {}): AckApiHandler {
  const ctx = environmentDeps(deps);
  return async (event) => {
    try {
      const path = event.rawPath;
      const method = event.requestContext.http.method;
      if ((path === LINK_PATHS.ack || path === LINK_PATHS.silence) && (method === 'GET' || method === 'POST')) {
        return await link(ctx, event, path === LINK_PATHS.ack ? 'ack' : 'silence');
      }
      // Defence in depth: the links URL has no IAM, and the IAM URL always fills the caller in.
      const caller = iamCaller(event);
      if (ctx.mode === 'links' || caller === undefined) {
        return problem(
          403,
          `${method} ${path} needs an IAM-signed request (use maif-obs); this URL serves signed links only`,
        );
      }
      return await api(ctx, event, caller);
    } catch (error) {
      if (error instanceof RequestError) return problem(400, error.message);
      warn(`request failed: ${String(error)}`);
      return problem(500, 'internal error (see the function logs)');
    }
  };
}

let lazy: AckApiHandler | undefined;

export const handler: AckApiHandler = (event) => {
  lazy ??= createHandler(bundledConfig<AckApiConfig>('ack-api'));
  return lazy(event);
};
