/**
 * Forgery, end to end: the real router handler on dynalite with the loopback Step Functions
 * stand-in. Anyone allowed to create a CloudWatch alarm can copy the kit's metadata block into its
 * description; the router believes that block only for the stack's own alarms (their names travel
 * in its bundled configuration) or when it carries a valid HMAC. Any other alarm pages as a
 * foreign alert with its own identity (its ARN) and can never touch a genuine alert.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { resolveConfig } from '../../domain/config';
import { type AlarmMetadata, encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import type { EscalationInput } from '../../domain/contracts/alert';
import { alarmFingerprint } from '../../domain/contracts/events';
import { signAlarmMetadata } from '../../domain/routing/alarm-trust';
import { type RouterConfig, routerConfigOf } from '../../domain/routing/routing';
import { createHandler } from '../../lambdas/router';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { SecretCache } from '../../lambdas/shared/secrets';
import { Metrics } from '../../layers/instrumentation/metrics';
import config from '../../observability.config';
import { DYNALITE_CREDENTIALS, DYNALITE_REGION, type Dynalite, startDynalite } from '../private/dynalite';
import { type StepFunctionsStandIn, startStepFunctions } from '../private/router-standins';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:maif-escalation';
const T0 = Date.parse('2026-11-24T10:00:00Z');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-3';
const GENUINE_ALARM = 'maif-prod-system_down';
const SIGNING_SECRET = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:maif/alarm-signing';
const KEY = 'alarm-signing-key-'.repeat(4);
const GENUINE: AlarmMetadata = {
  rule: 'system_down',
  severity: 'critical',
  labels: { team: 'platform' },
  runbook: 'https://runbooks.example.com/down',
  service: 'maif',
  environment: 'prod',
};

const alerting = resolveConfig(config, 'prod').alerting;
/** The example's routing, plus a rule for foreign alarms (without it they are `unrouted`). */
const routerConfig: RouterConfig = {
  ...routerConfigOf(alerting, [GENUINE_ALARM]),
  routing: [
    { condition: "labels.foreign == 'true'", actions: [{ type: 'notify', channels: ['slack'] }] },
    ...alerting.routing,
  ],
};

let db: Dynalite;
let sfn: StepFunctionsStandIn;
let sfnClient: SFNClient;
let sns: SNSClient;
let store: AlertStore;
let seq = 0;

beforeAll(async () => {
  [db, sfn] = await Promise.all([startDynalite(), startStepFunctions()]);
  sfnClient = new SFNClient({
    region: DYNALITE_REGION,
    credentials: DYNALITE_CREDENTIALS,
    endpoint: sfn.endpoint,
    maxAttempts: 1,
  });
  // no notice is ever sent here (nothing runs the escalation), so SNS is never reached
  sns = new SNSClient({ region: DYNALITE_REGION, credentials: DYNALITE_CREDENTIALS, endpoint: 'http://127.0.0.1:9' });
  store = new AlertStore({ client: db.client, tableName: db.tableName, now: () => T0 });
});

afterAll(async () => {
  sfnClient?.destroy();
  sns?.destroy();
  await Promise.all([db?.stop(), sfn?.loopback.close()]);
});

/** The router, optionally with an alarm signing key in (a stand-in for) Secrets Manager. */
function router(options: { signingKey?: string; config?: RouterConfig } = {}) {
  const secretCalls: string[] = [];
  const secretsManager = {
    send: async (command: { input: { SecretId: string } }) => {
      secretCalls.push(command.input.SecretId);
      return { SecretString: JSON.stringify({ key: options.signingKey }) };
    },
  } as unknown as SecretsManagerClient;
  const handler = createHandler(options.config ?? routerConfig, {
    dynamodb: db.client,
    sfn: sfnClient,
    sns,
    secrets: new SecretCache(secretsManager),
    metrics: new Metrics({ namespace: 'MAIF', service: 'maif', strict: false, sink: () => undefined }),
    now: () => T0,
    log: () => undefined,
    env: {
      tableName: db.tableName,
      stateMachineArn: STATE_MACHINE,
      topicArns: {},
      ...(options.signingKey === undefined ? {} : { alarmSigningSecretArn: SIGNING_SECRET }),
    },
  });
  return { handler, secretCalls };
}

const arnOf = (alarmName: string, account = ACCOUNT) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${alarmName}`;

function alarmEvent(state: 'ALARM' | 'OK', alarmName: string, description: string, account = ACCOUNT) {
  seq += 1;
  return {
    version: '0',
    id: `evt-${seq}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: '2026-11-24T10:00:00Z',
    region: REGION,
    resources: [arnOf(alarmName, account)],
    detail: {
      alarmName,
      state: { value: state, reason: 'Threshold Crossed', timestamp: new Date(T0 + seq * 1000).toISOString() },
      previousState: { value: state === 'OK' ? 'ALARM' : 'OK' },
      configuration: {
        description,
        metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'Attacker/Made', name: 'Anything' } } }],
      },
    },
  };
}

function started(fingerprint: string): [string, EscalationInput][] {
  return [...sfn.executions.entries()].filter(([name]) => name.startsWith(`${fingerprint}-`)) as [
    string,
    EscalationInput,
  ][];
}

describe('router: which alarms it trusts', () => {
  const genuineDescription = encodeAlarmDescription('System is not responding', GENUINE);

  it('pages the genuine alarm with its metadata', async () => {
    const { handler } = router();
    const fp = alarmFingerprint(arnOf(GENUINE_ALARM, '111111111111'));

    const result = await handler(alarmEvent('ALARM', GENUINE_ALARM, genuineDescription, '111111111111'));

    expect(result).toMatchObject({ outcome: 'paged', fingerprint: fp });
    const [[, input] = []] = started(fp);
    expect(input?.alert).toMatchObject({
      alertName: 'system_down',
      severity: 'critical',
      labels: { team: 'platform', service: 'maif', environment: 'prod' },
      annotations: { summary: 'System is not responding', runbook: 'https://runbooks.example.com/down' },
    });
  });

  it('pages a forged copy of a critical rule as a foreign alert, and its OK cannot resolve the genuine alert', async () => {
    const { handler } = router();
    const genuineFp = alarmFingerprint(arnOf(GENUINE_ALARM));
    const forgedName = 'maif-prod-system_down-urgent';
    const forgedFp = alarmFingerprint(arnOf(forgedName));
    const forgedDescription = encodeAlarmDescription('Wire the ransom to ...', GENUINE);
    await handler(alarmEvent('ALARM', GENUINE_ALARM, genuineDescription));

    const forged = await handler(alarmEvent('ALARM', forgedName, forgedDescription));
    const forgedOk = await handler(alarmEvent('OK', forgedName, forgedDescription));

    expect(forgedFp).not.toBe(genuineFp);
    expect(forged).toMatchObject({ outcome: 'paged', fingerprint: forgedFp });
    const [[, input] = []] = started(forgedFp);
    expect(input?.alert).toMatchObject({
      alertName: forgedName,
      severity: 'warning',
      labels: { alarm_name: forgedName, namespace: 'Attacker/Made', account: ACCOUNT, region: REGION, foreign: 'true' },
      annotations: { summary: 'Wire the ransom to ...' },
    });
    expect(input?.alert.annotations.runbook).toBeUndefined();
    expect(input?.levels[0]?.channels).toEqual(['slack']);
    // the forged OK resolved the forged alert, and only it
    expect(forgedOk).toMatchObject({ outcome: 'resolved', fingerprint: forgedFp });
    expect(await store.getAlert(genuineFp)).toMatchObject({ status: 'firing', alertName: 'system_down' });
    expect(sfn.stopped).not.toContain(`${genuineFp}-1`);
    expect(sfn.stopped).toContain(`${forgedFp}-1`);
  });

  it("gives a foreign alarm the configuration's foreign severity", async () => {
    const { handler } = router({
      config: { ...routerConfig, foreignAlarms: { severity: 'info' } },
    });
    const name = 'hand-made-alarm';

    await handler(alarmEvent('ALARM', name, 'made by hand'));

    const [[, input] = []] = started(alarmFingerprint(arnOf(name)));
    expect(input?.alert).toMatchObject({ alertName: name, severity: 'info', annotations: { summary: 'made by hand' } });
  });

  it('trusts metadata signed with the key in Secrets Manager, and nothing signed with another key', async () => {
    const { handler, secretCalls } = router({ signingKey: KEY });
    const signedName = 'team-billing-errors';
    const wrongName = 'team-billing-latency';
    // a service of its own, so that it is not folded into the group of the genuine alerts above
    const billing: AlarmMetadata = { ...GENUINE, service: 'billing' };

    await handler(
      alarmEvent('ALARM', signedName, encodeAlarmDescription('billing', signAlarmMetadata(signedName, billing, KEY))),
    );
    await handler(
      alarmEvent(
        'ALARM',
        wrongName,
        encodeAlarmDescription('billing', signAlarmMetadata(wrongName, billing, 'not the key')),
      ),
    );
    const unsigned = await handler(alarmEvent('ALARM', 'unsigned-alarm', encodeAlarmDescription('billing', billing)));

    expect(started(alarmFingerprint(arnOf(signedName)))[0]?.[1].alert).toMatchObject({
      alertName: 'system_down',
      severity: 'critical',
      annotations: { runbook: 'https://runbooks.example.com/down' },
    });
    // foreign alerts share a group (no service label): this one may fold into an earlier one's notice
    expect(await store.getAlert(alarmFingerprint(arnOf(wrongName)))).toMatchObject({
      alertName: wrongName,
      severity: 'warning',
    });
    expect(unsigned).toMatchObject({ fingerprint: alarmFingerprint(arnOf('unsigned-alarm')) });
    expect((await store.getAlert(alarmFingerprint(arnOf('unsigned-alarm'))))?.labels.foreign).toBe('true');
    // the key is read only for signed alarms, once (cached)
    expect(secretCalls).toEqual([SIGNING_SECRET]);
  });
});
