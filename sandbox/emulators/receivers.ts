/**
 * Loopback Slack and PagerDuty receivers: HTTP servers on 127.0.0.1 that check the real payload
 * shapes (receiver-payloads.ts) and answer as the services do. Slack's incoming webhook answers
 * 200 `ok`, 400 `invalid_blocks` to an invalid body, 404 `no_service` off the webhook path;
 * PagerDuty's Events API v2 answers 202 `{status: 'success', dedup_key}` on `/v2/enqueue`, 400
 * `invalid event` to an invalid one. `Receiver.start` also lets a test force a status per request.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, LOOPBACK_HOST, listenLoopback, notify, readBody } from './loopback';
import { validatePagerDutyEvent, validateSlackMessage } from './receiver-payloads';

export type ReceiverKind = 'slack' | 'pagerduty';

/** The path of the local Slack webhook URL (a Slack webhook URL is itself the secret). */
export const SLACK_WEBHOOK_PATH = '/services/T000/B000/local-webhook-secret';
/** Where the PagerDuty notifier posts, under the receiver's base URL. */
export const PAGERDUTY_ENQUEUE_PATH = '/v2/enqueue';

/** One request as received, valid or not. */
export interface Delivery {
  readonly path: string;
  readonly body: unknown;
  readonly errors: readonly string[];
}

/** A message the receiver accepted. */
export interface ReceivedMessage {
  /** Date.now() at receipt. */
  readonly at: number;
  readonly body: unknown;
}

/** Chooses the status of the n-th request (0-based); undefined: answer as the real service. */
export type Responder = (index: number) => number | undefined;

export interface Receiver {
  /** Slack: the webhook URL; PagerDuty: the base URL (the notifier posts to /v2/enqueue). */
  readonly url: string;
  /** Every request, valid or not, in arrival order. */
  readonly requests: readonly Delivery[];
  /** The bodies of the valid requests answered with success (those of `received`). */
  readonly accepted: readonly unknown[];
  /** The accepted messages with their time of receipt. */
  readonly received: readonly ReceivedMessage[];
  onMessage(listener: (message: ReceivedMessage) => void): void;
  close(): Promise<void>;
}

function problems(
  kind: ReceiverKind,
  method: string | undefined,
  contentType: unknown,
  raw: string,
): {
  body: unknown;
  errors: string[];
} {
  let body: unknown;
  let errors: string[];
  try {
    body = JSON.parse(raw);
    errors = kind === 'slack' ? validateSlackMessage(body) : validatePagerDutyEvent(body);
  } catch {
    errors = ['body: not JSON'];
  }
  if (method !== 'POST') errors.push(`method: ${method} (use POST)`);
  if (!String(contentType).startsWith('application/json'))
    errors.push(`content-type: '${String(contentType)}' (use application/json)`);
  return { body, errors };
}

async function start(kind: ReceiverKind, respond: Responder = () => undefined): Promise<Receiver> {
  const path = kind === 'slack' ? SLACK_WEBHOOK_PATH : PAGERDUTY_ENQUEUE_PATH;
  const requests: Delivery[] = [];
  const received: ReceivedMessage[] = [];
  const listeners: ((message: ReceivedMessage) => void)[] = [];
  const textType = kind === 'slack' ? 'text/plain' : 'application/json';

  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': textType, ...headers });
      res.end(body);
    };
    void (async () => {
      let raw: string;
      try {
        raw = (await readBody(req)).toString('utf8');
      } catch {
        answer(413, kind === 'slack' ? 'request_too_large' : JSON.stringify({ status: 'request too large' }));
        return;
      }
      const { body, errors } = problems(kind, req.method, req.headers['content-type'], raw);
      const requestPath = req.url ?? '';
      if (requestPath !== path) errors.push(`path: ${requestPath} (use ${path})`);
      const index = requests.length;
      requests.push({ path: requestPath, body, errors });
      const forced = respond(index);
      if (forced !== undefined && (forced < 200 || forced > 299)) {
        answer(
          forced,
          kind === 'slack' ? 'internal_error' : JSON.stringify({ status: 'error' }),
          forced === 429 ? { 'retry-after': '0' } : {},
        );
        return;
      }
      if (requestPath !== path) {
        answer(404, kind === 'slack' ? 'no_service' : JSON.stringify({ status: 'not found', errors }));
        return;
      }
      if (errors.length > 0) {
        answer(
          400,
          kind === 'slack'
            ? 'invalid_blocks'
            : JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }),
        );
        return;
      }
      const message = { at: Date.now(), body };
      received.push(message);
      if (kind === 'slack') answer(200, 'ok');
      else {
        const dedupKey = (body as { dedup_key?: string }).dedup_key;
        answer(202, JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey }));
      }
      notify(listeners, message);
    })();
  });
  const port = await listenLoopback(server);
  const base = `http://${LOOPBACK_HOST}:${port}`;
  return {
    url: kind === 'slack' ? `${base}${SLACK_WEBHOOK_PATH}` : base,
    requests,
    get accepted() {
      return received.map((m) => m.body);
    },
    received,
    onMessage: (listener) => {
      listeners.push(listener);
    },
    close: () => closeServer(server),
  };
}

/** Starts a receiver of `kind`; `respond` may force the status of a request (e.g. 502, 429). */
export const Receiver = { start } as const;

/** What the sandbox reads of a running receiver. */
export interface ReceiverView {
  /** The accepted messages (PagerDuty: events) so far (a copy). */
  received(): ReceivedMessage[];
  /** Requests refused (invalid body, wrong path), with what was wrong. */
  rejected(): Delivery[];
  onMessage(listener: (message: ReceivedMessage) => void): void;
  stop(): Promise<void>;
}

export type SlackReceiver = ReceiverView & {
  /** The webhook URL to put in the Slack secret. */
  readonly url: string;
};

export type PagerDutyReceiver = ReceiverView & {
  /** Base URL: the notifier's endpoint (it posts to /v2/enqueue). */
  readonly endpoint: string;
};

function view(receiver: Receiver): ReceiverView {
  return {
    received: () => [...receiver.received],
    rejected: () => receiver.requests.filter((r) => r.errors.length > 0),
    onMessage: receiver.onMessage,
    stop: receiver.close,
  };
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const receiver = await start('slack');
  return { url: receiver.url, ...view(receiver) };
}

export async function startPagerDutyReceiver(): Promise<PagerDutyReceiver> {
  const receiver = await start('pagerduty');
  return { endpoint: receiver.url, ...view(receiver) };
}
