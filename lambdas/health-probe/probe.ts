/**
 * One probe per target: an HTTP GET (production targets are https; the probe does not force
 * TLS, so a loopback test can use http) or a Lambda Invoke. A probe never throws: every failure
 * (status, body, function error, timeout, refused connection) becomes `up: false` and a reason.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { parseDuration } from '../../layers/instrumentation/units';

export const PROBE_DEFAULTS = {
  TIMEOUT: '5s',
  /** Healthy statuses when `expectStatus` is not given: success and redirects. */
  MIN_STATUS: 200,
  MAX_STATUS: 399,
  /** Longest error text kept in the summary. */
  MAX_ERROR_LENGTH: 300,
} as const;

interface TargetBase {
  /** The `target` dimension of `up` and `probe_duration_seconds`. */
  readonly name: string;
  /** A duration ('5s', '500ms') or milliseconds. @default '5s' */
  readonly timeout?: string | number;
}

export interface HttpsProbeTarget extends TargetBase {
  readonly type: 'https';
  readonly url: string;
  /** Healthy statuses. @default 200-399 */
  readonly expectStatus?: number | readonly number[];
  /** A substring the response body must contain. */
  readonly expectBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LambdaProbeTarget extends TargetBase {
  readonly type: 'lambda';
  readonly functionName: string;
  readonly qualifier?: string;
  /** JSON sent as the event. @default {} */
  readonly payload?: unknown;
}

export type ProbeTarget = HttpsProbeTarget | LambdaProbeTarget;

export interface ProbeResult {
  readonly target: string;
  readonly up: boolean;
  readonly durationMs: number;
  readonly error?: string;
}

/** The part of `fetch` the probe uses; the global one by default. */
export type FetchLike = (
  url: string,
  init: { method: string; headers?: Record<string, string>; redirect: 'manual'; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string>; body?: { cancel(): Promise<void> } | null }>;

export interface ProbeDeps {
  readonly fetch: FetchLike;
  /** Called once, on the first Lambda target. */
  readonly lambdaClient: () => LambdaClient;
}

class ProbeTimeout extends Error {}

export function timeoutMs(target: ProbeTarget): number {
  const t = target.timeout ?? PROBE_DEFAULTS.TIMEOUT;
  return typeof t === 'number' ? t : parseDuration(t);
}

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/** Duck-typed: errors from fetch may come from another realm, where `instanceof Error` fails. */
function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, cause } = error as ErrorLike;
  let text = typeof message === 'string' && message ? message : String(name ?? 'error');
  if (typeof cause === 'object' && cause !== null) {
    const { message: causeMessage, code } = cause as ErrorLike;
    const detail = typeof causeMessage === 'string' && causeMessage ? causeMessage : code;
    if (detail !== undefined && detail !== '') text += `: ${String(detail)}`;
  }
  return text;
}

function statusOk(status: number, expect: number | readonly number[] | undefined): boolean {
  if (expect === undefined) return status >= PROBE_DEFAULTS.MIN_STATUS && status <= PROBE_DEFAULTS.MAX_STATUS;
  return typeof expect === 'number' ? status === expect : expect.includes(status);
}

function expected(expect: number | readonly number[] | undefined): string {
  if (expect === undefined) return `${PROBE_DEFAULTS.MIN_STATUS}-${PROBE_DEFAULTS.MAX_STATUS}`;
  return typeof expect === 'number' ? String(expect) : expect.join(', ');
}

async function probeHttps(target: HttpsProbeTarget, signal: AbortSignal, deps: ProbeDeps): Promise<string | undefined> {
  const response = await deps.fetch(target.url, {
    method: 'GET',
    ...(target.headers ? { headers: { ...target.headers } } : {}),
    // A redirect is an answer: 3xx counts as up by default instead of probing another host.
    redirect: 'manual',
    signal,
  });
  if (!statusOk(response.status, target.expectStatus)) {
    await response.body?.cancel().catch(() => undefined);
    return `status ${response.status} is not ${expected(target.expectStatus)}`;
  }
  if (target.expectBody === undefined) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const body = await response.text();
  return body.includes(target.expectBody) ? undefined : `body does not contain ${JSON.stringify(target.expectBody)}`;
}

async function probeLambda(
  target: LambdaProbeTarget,
  signal: AbortSignal,
  deps: ProbeDeps,
): Promise<string | undefined> {
  const out = await deps.lambdaClient().send(
    new InvokeCommand({
      FunctionName: target.functionName,
      ...(target.qualifier ? { Qualifier: target.qualifier } : {}),
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(target.payload ?? {})),
    }),
    { abortSignal: signal },
  );
  if (out.FunctionError) {
    let detail = '';
    try {
      const payload = JSON.parse(new TextDecoder().decode(out.Payload)) as { errorMessage?: unknown };
      if (typeof payload?.errorMessage === 'string') detail = `: ${payload.errorMessage}`;
    } catch {
      // The payload is not JSON: the function error alone says enough.
    }
    return `function error ${out.FunctionError}${detail}`;
  }
  return out.StatusCode === 200 ? undefined : `status ${out.StatusCode} is not 200`;
}

/** Probes one target within its timeout; resolves, never rejects. */
export async function probe(target: ProbeTarget, deps: ProbeDeps): Promise<ProbeResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let error: string | undefined;
  try {
    const ms = timeoutMs(target);
    // The race ends the probe on time even if a client ignores the abort signal.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new ProbeTimeout());
        reject(new ProbeTimeout(`timed out after ${ms} ms`));
      }, ms);
    });
    const check =
      target.type === 'https'
        ? probeHttps(target, controller.signal, deps)
        : target.type === 'lambda'
          ? probeLambda(target, controller.signal, deps)
          : Promise.resolve(`type ${JSON.stringify((target as { type?: unknown }).type)} is not https or lambda`);
    check.catch(() => undefined); // the deadline may win; the loser's rejection is expected
    error = await Promise.race([check, deadline]);
  } catch (caught) {
    error = describe(caught);
  } finally {
    clearTimeout(timer);
  }
  const durationMs = performance.now() - started;
  return error === undefined
    ? { target: target.name, up: true, durationMs }
    : { target: target.name, up: false, durationMs, error: error.slice(0, PROBE_DEFAULTS.MAX_ERROR_LENGTH) };
}
