/**
 * A loopback SNS endpoint for the real @aws-sdk/client-sns (AWS Query protocol: a form-encoded
 * POST, an XML reply) with one topic per channel and its subscriptions: `lambda` (a handler
 * called with SNS's event shape) and `email` (a deliver function, e.g. `emailSender` of smtp.ts).
 * Like SNS, Publish answers once the message is accepted and delivery runs after; a
 * MessageStructure 'json' message gives each protocol its own key (`lambda` / `email`, else
 * `default`); a handler that throws is retried (3 attempts in all, as Lambda retries an
 * asynchronous invocation, with short back-offs here), then recorded in `failures()`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import { closeServer, LOOPBACK_HOST, listenLoopback, readBody } from './loopback';

export type Subscription =
  | { readonly protocol: 'lambda'; readonly handler: (event: SNSEvent) => Promise<unknown> }
  | {
      readonly protocol: 'email';
      readonly deliver: (message: { subject: string; body: string; topicArn: string }) => Promise<void>;
    };

export interface SnsOptions {
  readonly region: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Topic name -> its subscriptions. */
  readonly topics: Record<string, readonly Subscription[]>;
  /** Real ms before the 2nd, 3rd... delivery attempt; its length + 1 is the number of attempts. @default [100, 200] */
  readonly retryDelaysMs?: readonly number[];
  /** Epoch ms of the messages' Timestamp. @default Date.now */
  readonly now?: () => number;
}

export interface DeliveryFailure {
  readonly topicArn: string;
  readonly protocol: string;
  readonly error: string;
}

export interface SnsEmulator {
  /** `http://127.0.0.1:PORT`, the SNSClient's `endpoint`. */
  readonly endpoint: string;
  /** Topic name -> ARN. */
  readonly topicArns: Record<string, string>;
  /** Publish calls accepted. */
  published(): number;
  /** Deliveries that still failed after every attempt. */
  failures(): readonly DeliveryFailure[];
  /** Resolves when every delivery of the messages published so far has ended. */
  idle(): Promise<void>;
  /** Cancels pending retries, waits for running deliveries, closes the endpoint. */
  stop(): Promise<void>;
}

export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
export const DEFAULT_RETRY_DELAYS_MS = [100, 200] as const;
/** SNS's limit on a message (body and attributes). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** What SNS puts in an e-mail's subject when the publish had none. */
export const DEFAULT_EMAIL_SUBJECT = 'AWS Notification Message';

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new SnsError(400, 'InvalidParameter', `Invalid parameter: ${message}`);

function xmlEscape(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue` -> Lambda's form. */
function messageAttributes(form: URLSearchParams): SNSMessageAttributes {
  const out: SNSMessageAttributes = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const at = `MessageAttributes.entry.${n}`;
    const name = form.get(`${at}.Name`) as string;
    const type = form.get(`${at}.Value.DataType`) ?? '';
    const value = form.get(`${at}.Value.StringValue`) ?? form.get(`${at}.Value.BinaryValue`);
    if (!/^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$/.test(type) && type !== 'String.Array') {
      throw invalid(
        `MessageAttributes: attribute '${name}' has DataType '${type}' (use String, String.Array, Number, Binary)`,
      );
    }
    if (value === null || value === '') {
      throw invalid(`MessageAttributes: attribute '${name}' must contain a non-empty value of type '${type}'`);
    }
    out[name] = { Type: type, Value: value };
  }
  return out;
}

interface Accepted {
  readonly topicArn: string;
  readonly messageId: string;
  readonly message: string;
  /** Protocol keys of a MessageStructure 'json' message. */
  readonly structure?: Record<string, string>;
  readonly subject?: string;
  readonly attributes: SNSMessageAttributes;
  readonly timestamp: string;
}

/** The message a protocol receives: its key of a 'json' structure, else `default`. */
function messageFor(accepted: Accepted, protocol: string): string {
  return accepted.structure ? (accepted.structure[protocol] ?? accepted.structure.default) : accepted.message;
}

function lambdaEvent(accepted: Accepted, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: accepted.messageId,
          TopicArn: accepted.topicArn,
          // SNS sends null when the publish had no subject; the type says string.
          Subject: (accepted.subject ?? null) as string,
          Message: messageFor(accepted, 'lambda'),
          Timestamp: accepted.timestamp,
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: `https://sns.local/SimpleNotificationService-local.pem`,
          UnsubscribeUrl: `https://sns.local/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          MessageAttributes: accepted.attributes,
        },
      },
    ],
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Topic {
  readonly name: string;
  readonly subscriptions: readonly { readonly sub: Subscription; readonly arn: string }[];
}

/** The account of the topics' ARNs; throws on a bad region or account. */
function checkedAccount(options: SnsOptions): string {
  const { region } = options;
  const accountId = options.accountId ?? '000000000000';
  if (!REGION.test(String(region)))
    throw new Error(`startSns region: '${region}' is not an AWS region (e.g. eu-west-1)`);
  if (!/^\d{12}$/.test(accountId))
    throw new Error(`startSns accountId: '${accountId}' is not an AWS account id (12 digits)`);
  return accountId;
}

/** The topics of `options` by ARN (and their ARNs by name); throws on a bad topic name or subscription. */
function topicsOf(
  options: SnsOptions,
  accountId: string,
): { byArn: Map<string, Topic>; topicArns: Record<string, string> } {
  const { region } = options;
  const byArn = new Map<string, Topic>();
  const topicArns: Record<string, string> = {};
  for (const [name, subscriptions] of Object.entries(options.topics)) {
    if (!TOPIC_NAME.test(name)) {
      throw new Error(`startSns topics: '${name}' is not a topic name (1 to 256 letters, digits, - and _)`);
    }
    const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
    subscriptions.forEach((s, i) => {
      const ok =
        (s?.protocol === 'lambda' && typeof s.handler === 'function') ||
        (s?.protocol === 'email' && typeof s.deliver === 'function');
      if (!ok) {
        throw new Error(
          `startSns topics.${name}[${i}]: protocol '${String(s?.protocol)}' without its function (use lambda with handler or email with deliver)`,
        );
      }
    });
    topicArns[name] = arn;
    byArn.set(arn, { name, subscriptions: subscriptions.map((sub) => ({ sub, arn: `${arn}:${randomUUID()}` })) });
  }
  return { byArn, topicArns };
}

/** A `MessageStructure: json` message: its protocol keys, checked as SNS checks them. */
function messageStructure(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw invalid('Message Structure - every protocol value must be a string');
  }
  if (!('default' in parsed)) throw invalid('Message Structure - No default entry in JSON message body');
  return parsed as Record<string, string>;
}

/** A Publish request, checked as SNS checks it: the message accepted and its topic; throws SnsError. */
function acceptPublish(
  form: URLSearchParams,
  topics: ReadonlyMap<string, Topic>,
  now: () => number,
): { accepted: Accepted; topic: Topic } {
  const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
  if (!topicArn) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
  const topic = topics.get(topicArn);
  if (!topic) throw new SnsError(404, 'NotFound', `Topic does not exist: '${topicArn}'`);
  const message = form.get('Message');
  if (message === null || message === '') throw invalid('Empty message');
  const subject = form.get('Subject') ?? undefined;
  if (subject !== undefined && (subject === '' || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))) {
    throw invalid('Subject: must be 1 to 100 printable ASCII characters, without line breaks');
  }
  const attributes = messageAttributes(form);
  const size = Buffer.byteLength(message) + Buffer.byteLength(JSON.stringify(attributes));
  if (size > MAX_MESSAGE_BYTES) throw invalid(`Message too long: ${size} bytes (at most ${MAX_MESSAGE_BYTES})`);
  const structureName = form.get('MessageStructure');
  if (structureName !== null && structureName !== 'json') {
    throw invalid(`MessageStructure: '${structureName}' (the only value is json)`);
  }
  const structure = structureName === null ? undefined : messageStructure(message);
  const accepted: Accepted = {
    topicArn,
    messageId: randomUUID(),
    message,
    ...(structure ? { structure } : {}),
    ...(subject !== undefined ? { subject } : {}),
    attributes,
    timestamp: new Date(now()).toISOString(),
  };
  return { accepted, topic };
}

/** The deliveries of accepted messages to their subscriptions, each retried after the configured delays. */
class Deliveries {
  readonly failures: DeliveryFailure[] = [];
  readonly #retryDelays: readonly number[];
  readonly #pending = new Set<Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(retryDelays: readonly number[]) {
    if (!retryDelays.every((d) => Number.isFinite(d) && d >= 0)) {
      throw new Error(`startSns retryDelaysMs: ${JSON.stringify(retryDelays)} is not a list of milliseconds >= 0`);
    }
    this.#retryDelays = retryDelays;
  }

  /** Delivers `accepted` to every subscription of `topic`, after the Publish reply is written. */
  start(accepted: Accepted, topic: Topic): void {
    for (const { sub, arn } of topic.subscriptions) {
      // Delivery starts after the reply is written (setImmediate), as SNS answers before it delivers.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        this.#deliver(accepted, sub, arn),
      );
      this.#pending.add(delivery);
      void delivery.finally(() => this.#pending.delete(delivery));
    }
  }

  async idle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Cancels pending retries (a delivery running now finishes). */
  stop(): void {
    this.#stopping.abort();
  }

  async #deliver(accepted: Accepted, sub: Subscription, subscriptionArn: string): Promise<void> {
    const signal = this.#stopping.signal;
    for (let n = 0; ; n++) {
      try {
        await attempt(accepted, sub, subscriptionArn);
        return;
      } catch (error) {
        if (n >= this.#retryDelays.length || signal.aborted) {
          if (!signal.aborted) {
            const reason = error instanceof Error ? error.message : String(error);
            this.failures.push({ topicArn: accepted.topicArn, protocol: sub.protocol, error: reason });
          }
          return;
        }
        await sleep(this.#retryDelays[n], signal);
        if (signal.aborted) return;
      }
    }
  }
}

/** One delivery attempt: the Lambda event to a handler, or the e-mail to its sender. */
function attempt(accepted: Accepted, sub: Subscription, subscriptionArn: string): Promise<unknown> {
  return sub.protocol === 'lambda'
    ? sub.handler(lambdaEvent(accepted, subscriptionArn))
    : sub.deliver({
        subject: accepted.subject ?? DEFAULT_EMAIL_SUBJECT,
        body: messageFor(accepted, 'email'),
        topicArn: accepted.topicArn,
      });
}

/** SNS's query API (Publish only): `publish` returns the message id or throws an SnsError. */
function snsServer(publish: (form: URLSearchParams) => string): Server {
  return createServer((req, res) => {
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(xml);
    };
    void (async () => {
      const requestId = randomUUID();
      try {
        const form = new URLSearchParams((await readBody(req)).toString('utf8'));
        const action = form.get('Action');
        if (action !== 'Publish') {
          throw new SnsError(400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint`);
        }
        const messageId = publish(form);
        reply(
          200,
          `<PublishResponse xmlns="${SNS_XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      } catch (error) {
        const e = error instanceof SnsError ? error : new SnsError(500, 'InternalError', (error as Error).message);
        const type = e.status >= 500 ? 'Receiver' : 'Sender';
        reply(
          e.status,
          `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      }
    })();
  });
}

export async function startSns(options: SnsOptions): Promise<SnsEmulator> {
  const accountId = checkedAccount(options);
  const deliveries = new Deliveries(options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS);
  const { byArn, topicArns } = topicsOf(options, accountId);
  const now = options.now ?? Date.now;
  let published = 0;
  const server = snsServer((form) => {
    const { accepted, topic } = acceptPublish(form, byArn, now);
    published += 1;
    deliveries.start(accepted, topic);
    return accepted.messageId;
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    topicArns,
    published: () => published,
    failures: () => deliveries.failures,
    idle: () => deliveries.idle(),
    stop: async () => {
      await closeServer(server);
      deliveries.stop();
      await deliveries.idle();
    },
  };
}
