/**
 * Local stand-ins for the ack API tests: dynalite with the alert table, fauxqs (SNS -> SQS, in a
 * child process: it ships as ES modules only), and a loopback Lambda Function URL that checks
 * SigV4 like an AWS_IAM Function URL before handing the request to the handler.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../cli/ack-client';
import type { FunctionUrlEvent, FunctionUrlResult } from '../../lambdas/ack-api/http';
import { type Dynalite, startDynalite as startAlertDynalite } from './dynalite';
import { startFauxqsProcess } from './fauxqs';

export const REGION = 'eu-west-1';
export const CREDENTIALS = { accessKeyId: 'AKIDACKAPILOCAL', secretAccessKey: 'ack-api-local-secret' } as const;
export const CALLER_ARN = 'arn:aws:iam::000000000000:user/oncall';

/** dynalite with the alert table `tableName`, its client in REGION. */
export function startDynalite(tableName: string): Promise<Dynalite> {
  return startAlertDynalite(tableName, REGION);
}

export interface Fauxqs {
  readonly child: ChildProcess;
  readonly address: string;
  /** channel -> topic ARN */
  readonly topics: Record<string, string>;
  /** channel -> URL of the queue subscribed to its topic */
  readonly queues: Record<string, string>;
}

/** fauxqs with one topic per channel, each fanned out to its own queue. */
export async function startFauxqs(channels: readonly string[]): Promise<Fauxqs> {
  const f = await startFauxqsProcess({ region: REGION, channels });
  return { child: f.child, address: f.address, topics: f.topics, queues: f.queues };
}

const AUTHORIZATION_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/lambda\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/;

function amzDate(text: string): Date {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : new Date(Number.NaN);
}

/**
 * Serves `handler` as an AWS_IAM Function URL on 127.0.0.1: a request whose SigV4 signature
 * (recomputed with CREDENTIALS) does not match gets Lambda's 403 and never reaches the handler.
 */
export async function serveFunctionUrl(
  handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>,
): Promise<{ url: string; rejected: () => number; stop: () => Promise<void> }> {
  const signer = new SignatureV4({ service: 'lambda', region: REGION, credentials: CREDENTIALS, sha256: NodeSha256 });
  let rejected = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const authorization = String(req.headers.authorization ?? '');
      const match = AUTHORIZATION_RE.exec(authorization);
      let authorized = false;
      if (match && match[1] === CREDENTIALS.accessKeyId && match[2] === REGION) {
        const headers: Record<string, string> = {};
        for (const name of match[3].split(';')) headers[name] = String(req.headers[name] ?? '');
        const signed = await signer.sign(
          {
            method: req.method ?? 'GET',
            protocol: 'http:',
            hostname: '127.0.0.1',
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers,
            body: body === '' ? undefined : body,
          },
          { signingDate: amzDate(headers['x-amz-date'] ?? '') },
        );
        authorized = signed.headers.authorization === authorization;
      }
      if (!authorized) {
        rejected += 1;
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Message: 'Forbidden' }));
        return;
      }
      const result = await handler({
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: req.headers as Record<string, string>,
        body,
        isBase64Encoded: false,
        requestContext: {
          http: { method: req.method ?? 'GET' },
          authorizer: { iam: { userArn: CALLER_ARN, accountId: '000000000000' } },
        },
      });
      res.writeHead(result.statusCode, result.headers);
      res.end(result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    rejected: () => rejected,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
