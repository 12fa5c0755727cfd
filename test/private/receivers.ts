/**
 * Loopback Slack and PagerDuty receivers that validate the real payload shapes (Slack incoming
 * webhook JSON with Block Kit `blocks`; PagerDuty Events API v2) and answer as the services do,
 * plus a loopback Secrets Manager for the notifiers' secrets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsJsonLoopback, LOOPBACK_CREDENTIALS } from './aws-json-loopback';

const SLACK_BLOCK_TYPES = new Set(['header', 'section', 'context', 'actions', 'divider']);
const PD_ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const PD_SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textObject(value: unknown, where: string, max: number, errors: string[], plainOnly = false): void {
  if (!isObject(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) {
    errors.push(`${where}: not a text object`);
    return;
  }
  if (plainOnly && value.type !== 'plain_text') errors.push(`${where}: must be plain_text`);
  if (typeof value.text !== 'string' || value.text.length === 0) errors.push(`${where}.text: empty`);
  else if (value.text.length > max) errors.push(`${where}.text: ${value.text.length} > ${max} characters`);
}

/** Problems with a Slack incoming-webhook body (empty when valid). */
export function validateSlackMessage(body: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(body)) return ['body: not a JSON object'];
  if (typeof body.text !== 'string' || body.text === '') errors.push('text: missing fallback text');
  if (!Array.isArray(body.blocks) || body.blocks.length === 0) return [...errors, 'blocks: missing'];
  if (body.blocks.length > 50) errors.push(`blocks: ${body.blocks.length} > 50`);
  for (const [i, block] of (body.blocks as unknown[]).entries()) {
    const at = `blocks[${i}]`;
    if (!isObject(block) || !SLACK_BLOCK_TYPES.has(block.type as string)) {
      errors.push(`${at}: unknown block type`);
      continue;
    }
    if (block.type === 'header') textObject(block.text, `${at}.text`, 150, errors, true);
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) errors.push(`${at}: needs text or fields`);
      if (block.text !== undefined) textObject(block.text, `${at}.text`, 3000, errors);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > 10) errors.push(`${at}.fields: not 1..10 fields`);
        else for (const [j, f] of block.fields.entries()) textObject(f, `${at}.fields[${j}]`, 2000, errors);
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
        errors.push(`${at}.elements: not 1..10 elements`);
      } else for (const [j, e] of block.elements.entries()) textObject(e, `${at}.elements[${j}]`, 3000, errors);
    }
    if (block.type === 'actions') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
        errors.push(`${at}.elements: not 1..25 elements`);
      } else {
        for (const [j, e] of (block.elements as unknown[]).entries()) {
          if (!isObject(e) || e.type !== 'button') {
            errors.push(`${at}.elements[${j}]: not a button`);
            continue;
          }
          textObject(e.text, `${at}.elements[${j}].text`, 75, errors, true);
          if (typeof e.action_id !== 'string' || e.action_id.length > 255)
            errors.push(`${at}.elements[${j}].action_id`);
          if (
            e.url !== undefined &&
            (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url) || e.url.length > 3000)
          ) {
            errors.push(`${at}.elements[${j}].url: not an http(s) URL of at most 3000 characters`);
          }
        }
      }
    }
  }
  return errors;
}

/** Problems with a PagerDuty Events API v2 body (empty when valid). */
export function validatePagerDutyEvent(body: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(body)) return ['body: not a JSON object'];
  if (typeof body.routing_key !== 'string' || body.routing_key === '') errors.push('routing_key: missing');
  if (!PD_ACTIONS.has(body.event_action as string)) errors.push(`event_action: '${String(body.event_action)}'`);
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key.length > 255)) {
    errors.push('dedup_key: not a string of at most 255 characters');
  }
  if (body.event_action !== 'trigger') {
    if (typeof body.dedup_key !== 'string' || body.dedup_key === '')
      errors.push('dedup_key: required to acknowledge or resolve');
    return errors;
  }
  const p = body.payload;
  if (!isObject(p)) return [...errors, 'payload: required to trigger'];
  if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024)
    errors.push('payload.summary: not 1..1024 characters');
  if (typeof p.source !== 'string' || p.source === '') errors.push('payload.source: missing');
  if (!PD_SEVERITIES.has(p.severity as string)) errors.push(`payload.severity: '${String(p.severity)}'`);
  if (p.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp))))
    errors.push('payload.timestamp: not ISO 8601');
  if (p.custom_details !== undefined && !isObject(p.custom_details))
    errors.push('payload.custom_details: not an object');
  if (body.links !== undefined) {
    if (!Array.isArray(body.links)) errors.push('links: not a list');
    else
      for (const l of body.links)
        if (!isObject(l) || typeof l.href !== 'string') errors.push('links: entry without href');
  }
  return errors;
}

export interface Delivery {
  readonly path: string;
  readonly body: unknown;
  readonly errors: readonly string[];
}

/** Chooses the status of the n-th request (0-based); absent: answer as the real service. */
export type Responder = (index: number) => number | undefined;

export class Receiver {
  /** Every request, valid or not, in arrival order. */
  readonly requests: Delivery[] = [];
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** The valid deliveries that were answered with success. */
  get accepted(): unknown[] {
    return this.#accepted;
  }
  readonly #accepted: unknown[] = [];

  static async start(kind: 'slack' | 'pagerduty', respond: Responder = () => undefined): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = receiver as Receiver;
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        let errors: string[];
        try {
          body = JSON.parse(raw);
          errors = kind === 'slack' ? validateSlackMessage(body) : validatePagerDutyEvent(body);
        } catch {
          errors = ['body: not JSON'];
        }
        if (req.method !== 'POST') errors.push(`method: ${req.method}`);
        if (!String(req.headers['content-type']).startsWith('application/json')) errors.push('content-type: not JSON');
        if (kind === 'pagerduty' && req.url !== '/v2/enqueue') errors.push(`path: ${req.url}`);
        const index = r.requests.length;
        r.requests.push({ path: req.url ?? '', body, errors });
        const forced = respond(index);
        if (forced !== undefined && (forced < 200 || forced > 299)) {
          res.writeHead(forced, forced === 429 ? { 'retry-after': '0' } : {});
          res.end(kind === 'slack' ? 'internal_error' : JSON.stringify({ status: 'error' }));
          return;
        }
        if (errors.length > 0) {
          res.writeHead(400, { 'content-type': kind === 'slack' ? 'text/plain' : 'application/json' });
          res.end(kind === 'slack' ? 'invalid_blocks' : JSON.stringify({ status: 'invalid event', errors }));
          return;
        }
        r.#accepted.push(body);
        if (kind === 'slack') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        } else {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              status: 'success',
              message: 'Event processed',
              dedup_key: (body as { dedup_key?: string }).dedup_key,
            }),
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const path = kind === 'slack' ? '/services/T000/B000/local-webhook-secret' : '';
    receiver = new Receiver(server, `http://127.0.0.1:${port}${path}`);
    return receiver;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A loopback Secrets Manager answering GetSecretValue from `secrets` (id -> SecretString). */
export async function startSecrets(
  secrets: Record<string, string>,
): Promise<{ client: SecretsManagerClient; loopback: AwsJsonLoopback; stop: () => Promise<void> }> {
  const { loopback, endpoint } = await AwsJsonLoopback.start({
    'secretsmanager.GetSecretValue': (body) => {
      const id = String(body.SecretId);
      return id in secrets
        ? {
            body: {
              ARN: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${id}-AbCdEf`,
              Name: id,
              SecretString: secrets[id],
            },
          }
        : {
            status: 400,
            body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." },
          };
    },
  });
  const client = new SecretsManagerClient({ region: 'eu-west-1', endpoint, credentials: LOOPBACK_CREDENTIALS });
  return {
    client,
    loopback,
    stop: async () => {
      client.destroy();
      await loopback.close();
    },
  };
}
