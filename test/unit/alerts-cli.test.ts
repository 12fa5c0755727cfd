/**
 * The on-call CLI against the real ack API handler served on loopback behind a SigV4 check
 * (as an AWS_IAM Function URL does), with the alert state in dynalite.
 */
import fc from 'fast-check';
import { ackCommand, createAlertCommands, formatMatcher, parseMatcher, windowOf } from '../../cli/alerts';
import type { CliContext } from '../../cli/index';
import { createHandler } from '../../lambdas/ack-api';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { CALLER_ARN, CREDENTIALS, REGION, serveFunctionUrl, startDynalite } from '../private/ack-api-standins';

let store: AlertStore;
let server: Awaited<ReturnType<typeof serveFunctionUrl>>;
let stopDynalite: () => Promise<void>;
const commands = createAlertCommands({ credentials: CREDENTIALS });

beforeAll(async () => {
  const dynalite = await startDynalite('alerts-cli');
  stopDynalite = dynalite.stop;
  store = new AlertStore({ client: dynalite.client, tableName: 'alerts-cli' });
  server = await serveFunctionUrl(
    createHandler({}, { mode: 'iam', store, topicArns: {}, linkKey: async () => 'unused-link-key-0123456789' }),
  );
});

afterAll(async () => {
  await server?.stop();
  await stopDynalite?.();
});

function context(env: Record<string, string> = {}): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    cwd: process.cwd(),
    env: { MAIF_ACK_API_URL: server.url, AWS_REGION: REGION, ...env },
    out: (line) => lines.push(...line.split('\n')),
    err: (line) => errors.push(line),
    lines,
    errors,
  };
}

let counter = 0;
async function firing(name: string): Promise<string> {
  counter += 1;
  const fingerprint = `cli${counter}${'0'.repeat(8)}`;
  await store.upsertFiring({
    fingerprint,
    alertName: name,
    status: 'firing',
    severity: 'warning',
    labels: { service: 'maif' },
    annotations: { summary: `${name} is high` },
    startsAt: new Date().toISOString(),
    source: 'cloudwatch',
    eventId: `ev-${counter}`,
  });
  return fingerprint;
}

describe('maif-obs alerts and ack', () => {
  it('lists the firing alerts as a table', async () => {
    const fp = await firing('high_latency');
    const ctx = context();

    const code = await commands.alerts.run(['--status', 'firing'], ctx);

    expect(code).toBe(0);
    expect(ctx.lines[0]).toMatch(/^FINGERPRINT\s+STATUS\s+SEVERITY\s+ALERT\s+SINCE\s+LABELS$/);
    expect(ctx.lines.find((l) => l.startsWith(fp))).toMatch(/firing\s+warning\s+high_latency\s+\S+\s+service=maif$/);
  });

  it('acknowledges an alert once and says so when it is already acknowledged', async () => {
    const fp = await firing('error_rate');
    const first = context();
    const second = context();

    const codes = [await commands.ack.run([fp], first), await commands.ack.run([fp], second)];

    expect(codes).toEqual([0, 1]);
    expect(first.lines).toEqual([`acknowledged ${fp} (episode 1) as ${CALLER_ARN}`]);
    expect(second.errors).toEqual([`maif-obs ack: alert ${fp} is acked, not firing: nothing to acknowledge`]);
    expect((await store.getAlert(fp))?.ackedBy).toBe(CALLER_ARN);
  });

  it('signs with credentials from the default provider chain', async () => {
    const fp = await firing('disk_full');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    try {
      const ctx = context();

      expect(await ackCommand.run([fp], ctx)).toBe(0);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('is refused by the IAM check when signed with the wrong secret, before reaching the handler', async () => {
    const fp = await firing('cpu_high');
    const wrong = createAlertCommands({ credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    const before = server.rejected();

    await expect(wrong.ack.run([fp], context())).rejects.toThrow(
      /^ack: the ack API answered 403: Forbidden \(check your AWS credentials/,
    );
    expect(server.rejected()).toBe(before + 1);
    expect((await store.getAlert(fp))?.status).toBe('firing');
  });

  it('names the missing endpoint and how to give it', async () => {
    const ctx = context();
    const env = { ...ctx.env, MAIF_ACK_API_URL: undefined };

    await expect(commands.alerts.run([], { ...ctx, env })).rejects.toThrow(
      /^--endpoint: none given \(pass the ack API URL, the stack output AckApiUrl, or set MAIF_ACK_API_URL\)$/,
    );
  });
});

describe('maif-obs silence, unsilence and maintenance', () => {
  it('creates a silence from matchers, lists it and deletes it', async () => {
    const created = context();
    await commands.silence.run(
      ['alertname=high_latency', 'service=~"maif|search"', '--duration', '2h', '--comment', 'fix deploying'],
      created,
    );
    const id = /^silence (\S+) until /.exec(created.lines[0])?.[1] ?? '';
    const listed = context();
    await commands.silence.run(['--list'], listed);
    const deleted = context();
    const code = await commands.unsilence.run([id], deleted);

    expect(id).not.toBe('');
    expect(listed.lines.find((l) => l.startsWith(id))).toContain('alertname=high_latency,service=~maif|search');
    expect(code).toBe(0);
    expect(deleted.lines).toEqual([`deleted silence ${id}`]);
    expect((await store.listSilences()).map((s) => s.id)).not.toContain(id);
  });

  it('refuses a silence without a comment', async () => {
    await expect(commands.silence.run(['alertname=x'], context())).rejects.toThrow(/^--comment: none given/);
  });

  it('fails with the API message when the silence to delete does not exist', async () => {
    await expect(commands.unsilence.run(['no-such-id'], context())).rejects.toThrow(
      "unsilence: the ack API answered 404: silence 'no-such-id' does not exist",
    );
  });

  it('starts a maintenance window, lists it and ends it early', async () => {
    const started = context();
    await commands.maintenance.run(['start', '--duration', '3h', '--comment', 'db upgrade', 'service=maif'], started);
    const id = /^maintenance (\S+) from /.exec(started.lines[0])?.[1] ?? '';
    const listed = context();
    await commands.maintenance.run(['list', '--json'], listed);
    const ended = context();
    await commands.maintenance.run(['end', id], ended);

    const windows = JSON.parse(listed.lines.join('\n')) as { id: string; matchers: unknown }[];
    expect(windows.find((w) => w.id === id)).toMatchObject({ matchers: [{ name: 'service', value: 'maif' }] });
    expect(ended.lines[0]).toMatch(new RegExp(`^maintenance ${id} ended at `));
    expect((await store.listMaintenance(Date.now() + 1000)).map((m) => m.id)).not.toContain(id);
  });
});

describe('matchers and windows', () => {
  it('parses every matcher it formats back to the same matcher', () => {
    // every matcher `silence` accepts: a label name, each of the four operators, any value for
    // = and != (spaces, quotes and backslashes included), valid regular expressions for =~ and !~
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
    const matcher = fc.oneof(
      fc.record({ name, value: fc.string({ maxLength: 12 }), isRegex: fc.constant(false), isEqual: fc.boolean() }),
      fc.record({
        name,
        value: fc.constantFrom('maif.*', 'a|b', '^search$', '5..', ' x\\d+ ', '"quoted"'),
        isRegex: fc.constant(true),
        isEqual: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(matcher, (m) => {
        expect(parseMatcher(formatMatcher(m))).toEqual(m);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the four matcher operators', () => {
    expect(['a=1', 'a!=1', 'a=~1.*', 'a!~1.*'].map(parseMatcher)).toEqual([
      { name: 'a', value: '1', isRegex: false, isEqual: true },
      { name: 'a', value: '1', isRegex: false, isEqual: false },
      { name: 'a', value: '1.*', isRegex: true, isEqual: true },
      { name: 'a', value: '1.*', isRegex: true, isEqual: false },
    ]);
  });

  it('refuses text that is not a matcher', () => {
    expect(() => parseMatcher('high_latency')).toThrow(
      "matcher 'high_latency' is not name=value, name!=value, name=~regex or name!~regex",
    );
  });

  it('ends a window an hour after its start unless told otherwise', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');

    expect(windowOf({}, now)).toEqual({ startsAt: '2026-03-01T12:00:00.000Z', endsAt: '2026-03-01T13:00:00.000Z' });
    expect(windowOf({ start: '2026-03-02T00:00:00Z', duration: '30m' }, now).endsAt).toBe('2026-03-02T00:30:00.000Z');
    expect(() => windowOf({ duration: '2x' }, now)).toThrow("--duration: '2x' is not a duration (use 30s, 5m, 1h)");
    expect(() => windowOf({ end: 'now', duration: '1h' }, now)).toThrow(/^--end and --duration: give one of them/);
  });
});
