/**
 * A loopback endpoint for AWS JSON-protocol services (Step Functions' AWS JSON 1.0, Secrets
 * Manager's 1.1): dispatches on `X-Amz-Target` to one handler per operation and answers errors
 * the way the services do (`__type` in the body and the `x-amzn-errortype` header), so the real
 * SDK v3 clients raise the named exception.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { closeServer, LOOPBACK_HOST, listenLoopback, readBody } from './loopback';

export type AwsJsonVersion = '1.0' | '1.1';

export interface AwsJsonReply {
  /** @default 200 */
  readonly status?: number;
  readonly body: Record<string, unknown>;
}

/** Answers one operation; may be async. What it throws becomes a 500 InternalFailure. */
export type AwsJsonHandler = (body: Record<string, unknown>) => AwsJsonReply | Promise<AwsJsonReply>;

export interface AwsJsonServer {
  /** `http://127.0.0.1:PORT`, the SDK client's `endpoint`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A service error reply: the SDK raises an exception named `type` with `message`. */
export function awsError(status: number, type: string, message: string): AwsJsonReply {
  return { status, body: { __type: type, message } };
}

/** Starts the endpoint; `handlers` is keyed by the full target (`AWSStepFunctions.StartExecution`). */
export async function startAwsJsonServer(
  version: AwsJsonVersion,
  handlers: Readonly<Record<string, AwsJsonHandler>>,
): Promise<AwsJsonServer> {
  const contentType = `application/x-amz-json-${version}`;
  const server = createServer((req, res) => {
    const send = (reply: AwsJsonReply) => {
      const type = reply.body.__type;
      res.writeHead(reply.status ?? 200, {
        'content-type': contentType,
        'x-amzn-requestid': randomUUID(),
        ...(typeof type === 'string' ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(reply.body));
    };
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: Record<string, unknown>;
      try {
        const raw = (await readBody(req)).toString('utf8');
        const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch (error) {
        send(awsError(400, 'SerializationException', `request body: not a JSON object (${(error as Error).message})`));
        return;
      }
      const handler = Object.hasOwn(handlers, target) ? handlers[target] : undefined;
      if (handler === undefined) {
        send(
          awsError(400, 'UnknownOperationException', `X-Amz-Target: '${target}' is not an operation of this emulator`),
        );
        return;
      }
      try {
        send(await handler(body));
      } catch (error) {
        send(awsError(500, 'InternalFailure', `${target}: ${(error as Error).message}`));
      }
    })();
  });
  const port = await listenLoopback(server);
  return { endpoint: `http://${LOOPBACK_HOST}:${port}`, stop: () => closeServer(server) };
}
