/**
 * `maif-obs alerts | ack | silence | unsilence | maintenance`: the on-call side of the alert
 * pipeline. Each command calls the ack API's AWS_IAM Function URL with SigV4, using the AWS
 * SDK's default credential chain; `--endpoint` (or MAIF_ACK_API_URL) names the URL, which the
 * stack prints as its `AckApiUrl` output.
 */
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import type { AlertRecord, MaintenanceWindow, Matcher, Silence } from '../domain/contracts/alert-state';
import { KIT_ENV } from '../domain/contracts/environment';
import { parseMatcher } from '../domain/routing/silences';
import { DURATION_HINT, parseDuration } from '../layers/instrumentation/units';
import { AckApiClient, type ApiResponse, regionOfFunctionUrl } from './ack-client';
import type { CliCommand, CliContext } from './command';
import { parseCommandLine } from './options';

/** A silence or maintenance window without --end or --duration lasts this long (amtool's default). */
export const DEFAULT_WINDOW = '1h';

export interface AlertCommandDeps {
  /** @default - the AWS SDK's default credential provider chain */
  readonly credentials?: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
}

const COMMON = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const WINDOW = {
  start: { type: 'string' },
  end: { type: 'string' },
  duration: { type: 'string' },
  comment: { type: 'string' },
} as const;

function client(values: { endpoint?: string; region?: string }, context: CliContext, deps: AlertCommandDeps) {
  const endpoint = values.endpoint ?? context.env[KIT_ENV.ackApiUrl];
  if (!endpoint) {
    throw new Error(
      `--endpoint: none given (pass the ack API URL, the stack output AckApiUrl, or set ${KIT_ENV.ackApiUrl})`,
    );
  }
  // A Function URL names its region; any other endpoint (a loopback) takes --region or AWS_REGION.
  const region = values.region ?? (regionOfFunctionUrl(endpoint) ? undefined : context.env.AWS_REGION || undefined);
  return new AckApiClient({ endpoint, region, credentials: deps.credentials, fetch: deps.fetch });
}

/** Throws the API's error message for a status outside 2xx (403: IAM refused the signature). */
function ok(response: ApiResponse, what: string): unknown {
  if (response.status >= 200 && response.status < 300) return response.body;
  const body = response.body as { error?: string; Message?: string } | string | undefined;
  const reason = typeof body === 'string' ? body : (body?.error ?? body?.Message ?? 'no details');
  const hint = response.status === 403 ? ' (check your AWS credentials and lambda:InvokeFunctionUrl permission)' : '';
  throw new Error(`${what}: the ack API answered ${response.status}: ${reason}${hint}`);
}

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex` (amtool's syntax): the router's own parser. */
export { parseMatcher };

/**
 * The inverse of `parseMatcher`: values with spaces or quotes, or starting with `~` or `=`
 * (`a=~x` would read as a regex), are written as JSON strings.
 */
export function formatMatcher(m: Matcher): string {
  const op = `${m.isEqual === false ? '!' : '='}${m.isRegex ? '~' : m.isEqual === false ? '=' : ''}`;
  return `${m.name}${op}${/[\s"]|^[~=]/.test(m.value) ? JSON.stringify(m.value) : m.value}`;
}

function time(option: string, text: string, now: number): number {
  if (text === 'now') return now;
  const ms = /^\d{4}-\d\d-\d\dT/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(`--${option}: '${text}' is not 'now' or an ISO 8601 time (2026-01-31T12:00:00Z)`);
  return ms;
}

/** --start/--end/--duration as ISO start and end; the end defaults to start + DEFAULT_WINDOW. */
export function windowOf(values: { start?: string; end?: string; duration?: string }, now: number) {
  if (values.end !== undefined && values.duration !== undefined) {
    throw new Error(
      `--end and --duration: give one of them, not both (got --end ${values.end} --duration ${values.duration})`,
    );
  }
  const start = values.start === undefined ? now : time('start', values.start, now);
  let end: number;
  if (values.end !== undefined) end = time('end', values.end, now);
  else {
    const text = values.duration ?? DEFAULT_WINDOW;
    try {
      end = start + parseDuration(text);
    } catch {
      throw new Error(`--duration: '${text}' is not a duration (${DURATION_HINT})`);
    }
  }
  return { startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString() };
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function printSilences(context: CliContext, silences: readonly (Silence | MaintenanceWindow)[], json: boolean): void {
  if (json) {
    context.out(JSON.stringify(silences, null, 2));
    return;
  }
  if (silences.length === 0) {
    context.out('none');
    return;
  }
  const rows = silences.map((s) => [
    s.id,
    s.startsAt,
    s.endsAt,
    (s.matchers ?? []).map(formatMatcher).join(',') || '*',
    s.createdBy,
    s.comment,
  ]);
  for (const line of table([['ID', 'STARTS', 'ENDS', 'MATCHERS', 'CREATED BY', 'COMMENT'], ...rows])) context.out(line);
}

export function createAlertCommands(
  deps: AlertCommandDeps = {},
): Readonly<Record<'alerts' | 'ack' | 'silence' | 'unsilence' | 'maintenance', CliCommand>> {
  const alerts: CliCommand = {
    summary: 'list the alerts of the alert pipeline (firing, acked, resolved)',
    usage: 'maif-obs alerts [--status firing|acked|resolved] [--json] [--endpoint URL] [--region REGION]',
    async run(args, context) {
      const { values } = parseCommandLine(args, { ...COMMON, status: { type: 'string' } });
      if (values.status !== undefined && !['firing', 'acked', 'resolved'].includes(values.status)) {
        throw new Error(`--status: '${values.status}' is not firing, acked or resolved`);
      }
      const query: Record<string, string> = values.status ? { status: values.status } : {};
      const body = ok(await client(values, context, deps).request('GET', '/alerts', undefined, query), 'alerts') as {
        alerts: AlertRecord[];
      };
      if (values.json) {
        context.out(JSON.stringify(body.alerts, null, 2));
        return 0;
      }
      if (body.alerts.length === 0) {
        context.out('no alerts');
        return 0;
      }
      const rows = [...body.alerts]
        .sort((a, b) => b.startsAt.localeCompare(a.startsAt))
        .map((a) => [a.fingerprint, a.status, a.severity, a.alertName, a.startsAt, labelsText(a.labels)]);
      for (const line of table([['FINGERPRINT', 'STATUS', 'SEVERITY', 'ALERT', 'SINCE', 'LABELS'], ...rows]))
        context.out(line);
      return 0;
    },
  };

  const ack: CliCommand = {
    summary: 'acknowledge a firing alert: escalation stops and the paged channels are told',
    usage: 'maif-obs ack FINGERPRINT [--endpoint URL] [--region REGION]',
    async run(args, context) {
      const { values, positionals } = parseCommandLine(args, COMMON);
      if (positionals.length !== 1)
        throw new Error(`expected one FINGERPRINT (see 'maif-obs alerts'), got ${positionals.length}`);
      const fingerprint = positionals[0];
      const response = await client(values, context, deps).request(
        'POST',
        `/alerts/${encodeURIComponent(fingerprint)}/ack`,
      );
      if (response.status === 409) {
        const status = (response.body as { status?: string }).status;
        context.err(`maif-obs ack: alert ${fingerprint} is ${status}, not firing: nothing to acknowledge`);
        return 1;
      }
      const body = ok(response, 'ack') as { episode: number; by: string };
      context.out(`acknowledged ${fingerprint} (episode ${body.episode}) as ${body.by}`);
      return 0;
    },
  };

  const silence: CliCommand = {
    summary: 'silence alerts matching label matchers for a time (or --list the silences)',
    usage:
      'maif-obs silence MATCHER... --comment TEXT [--start TIME] [--end TIME | --duration 2h] | maif-obs silence --list [--all] [--json]',
    async run(args, context) {
      const { values, positionals } = parseCommandLine(args, {
        ...COMMON,
        ...WINDOW,
        list: { type: 'boolean' },
        all: { type: 'boolean' },
      });
      const api = client(values, context, deps);
      if (values.list) {
        const body = ok(
          await api.request('GET', '/silences', undefined, values.all ? { all: 'true' } : {}),
          'silence',
        ) as {
          silences: Silence[];
        };
        printSilences(context, body.silences, values.json === true);
        return 0;
      }
      if (positionals.length === 0) throw new Error('no matchers (e.g. alertname=high_latency service=maif)');
      if (!values.comment) throw new Error('--comment: none given (say why, for whoever is on call next)');
      const matchers = positionals.map(parseMatcher);
      const created = ok(
        await api.request('POST', '/silences', { matchers, ...windowOf(values, Date.now()), comment: values.comment }),
        'silence',
      ) as Silence;
      context.out(values.json ? JSON.stringify(created, null, 2) : `silence ${created.id} until ${created.endsAt}`);
      return 0;
    },
  };

  const unsilence: CliCommand = {
    summary: 'delete a silence',
    usage: 'maif-obs unsilence ID [--endpoint URL] [--region REGION]',
    async run(args, context) {
      const { values, positionals } = parseCommandLine(args, COMMON);
      if (positionals.length !== 1)
        throw new Error(`expected one silence ID (see 'maif-obs silence --list'), got ${positionals.length}`);
      ok(
        await client(values, context, deps).request('DELETE', `/silences/${encodeURIComponent(positionals[0])}`),
        'unsilence',
      );
      context.out(`deleted silence ${positionals[0]}`);
      return 0;
    },
  };

  const maintenance: CliCommand = {
    summary: 'maintenance windows: start one (all alerts, or those matching), end one early, list them',
    usage:
      'maif-obs maintenance start --comment TEXT [MATCHER...] [--start TIME] [--end TIME | --duration 2h] | maintenance end ID | maintenance list [--all] [--json]',
    async run(args, context) {
      const { values, positionals } = parseCommandLine(args, { ...COMMON, ...WINDOW, all: { type: 'boolean' } });
      const [action, ...rest] = positionals;
      const api = client(values, context, deps);
      if (action === 'list') {
        const body = ok(
          await api.request('GET', '/maintenance', undefined, values.all ? { all: 'true' } : {}),
          'maintenance',
        ) as {
          maintenance: MaintenanceWindow[];
        };
        printSilences(context, body.maintenance, values.json === true);
        return 0;
      }
      if (action === 'start') {
        if (!values.comment) throw new Error('--comment: none given (say what the maintenance is)');
        const matchers = rest.map(parseMatcher);
        const created = ok(
          await api.request('POST', '/maintenance', {
            ...windowOf(values, Date.now()),
            comment: values.comment,
            ...(matchers.length > 0 ? { matchers } : {}),
          }),
          'maintenance',
        ) as MaintenanceWindow;
        context.out(
          values.json
            ? JSON.stringify(created, null, 2)
            : `maintenance ${created.id} from ${created.startsAt} until ${created.endsAt}`,
        );
        return 0;
      }
      if (action === 'end') {
        if (rest.length !== 1)
          throw new Error(`expected one maintenance ID (see 'maif-obs maintenance list'), got ${rest.length}`);
        const ended = ok(
          await api.request('POST', `/maintenance/${encodeURIComponent(rest[0])}/end`),
          'maintenance',
        ) as MaintenanceWindow;
        context.out(`maintenance ${ended.id} ended at ${ended.endsAt}`);
        return 0;
      }
      throw new Error(`action '${action ?? ''}' is not start, end or list`);
    },
  };

  return { alerts, ack, silence, unsilence, maintenance };
}

const defaults = createAlertCommands();
export const alertsCommand: CliCommand = defaults.alerts;
export const ackCommand: CliCommand = defaults.ack;
export const silenceCommand: CliCommand = defaults.silence;
export const unsilenceCommand: CliCommand = defaults.unsilence;
export const maintenanceCommand: CliCommand = defaults.maintenance;
