/**
 * The ack API (the real handler) behind the page: what it accepts (an acknowledgement from the
 * page or a signed link, a new silence) is journaled.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Matcher, Silence } from '../../domain/contracts/alert-state';
import { createHandler as createAckApi } from '../../lambdas/ack-api/index';
import type { AlertStore } from '../../lambdas/shared/alert-store';
import type { SandboxView } from '../types';
import type { StageContext } from './context';

export type AckApi = SandboxView['ackApi'];
type AckEvent = Parameters<AckApi>[0];

export interface AckApiParts {
  readonly alertStore: AlertStore;
  readonly sns: SNSClient;
  readonly topicArns: Record<string, string>;
  /** The key the signed ack links are made with (the escalation signs them). */
  readonly linkKey: string;
}

export function startAckApi(ctx: StageContext, deps: AckApiParts): AckApi {
  const { clock } = ctx.setup;
  const ack = createAckApi(
    {},
    {
      mode: 'iam',
      store: deps.alertStore,
      sns: deps.sns,
      topicArns: deps.topicArns,
      linkKey: async () => deps.linkKey,
      now: clock.date,
    },
  );
  return async (event) => {
    const result = await ack(event);
    if (result.statusCode < 300) journalAccepted(ctx, event, result.body);
    return result;
  };
}

function journalAccepted(ctx: StageContext, event: AckEvent, body: string): void {
  const at = ctx.setup.clock.now();
  const by = event.requestContext.authorizer?.iam?.userArn ?? 'signed link';
  const ackPath = /^\/alerts\/([0-9a-f]+)\/ack$/.exec(event.rawPath);
  if (ackPath) ctx.records.record({ kind: 'ack', at, fingerprint: ackPath[1], by });
  else if (event.rawPath === '/ack') {
    const fp = new URLSearchParams(event.rawQueryString).get('fp');
    if (fp) ctx.records.record({ kind: 'ack', at, fingerprint: fp, by });
  } else if (event.rawPath === '/silences' && event.requestContext.http.method === 'POST') {
    try {
      const s = JSON.parse(body) as Pick<Silence, 'id' | 'matchers' | 'endsAt'>;
      ctx.records.record({
        kind: 'silence',
        at,
        id: s.id,
        matchers: s.matchers.map(matcherText).join(', '),
        labelMatchers: s.matchers,
        by,
        endsAt: s.endsAt,
      });
    } catch {
      /* the API answered something else: nothing to journal */
    }
  }
}

/** A silence's matcher as text, for the journal: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`. */
function matcherText(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}
