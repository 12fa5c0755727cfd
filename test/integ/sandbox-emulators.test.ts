/**
 * The sandbox's embedded AWS stand-ins, each driven by the real AWS SDK v3 client or the real
 * protocol peer: SNS (SNSClient Publish, lambda and e-mail subscriptions), SMTP (nodemailer),
 * Step Functions (SFNClient, the synthesized escalation definition run to its end), DynamoDB
 * (the table of the synthesized stack), X-Ray (UDP datagrams), Secrets Manager, and the Slack
 * and PagerDuty receivers reached by the real notifiers.
 */
import { createSocket } from 'node:dgram';
import { request as httpRequest } from 'node:http';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { resolveConfig } from '../../domain/config';
import type { EscalationInput } from '../../domain/contracts/alert';
import { ESCALATION_FAILED_ERROR, ESCALATION_STATES as S } from '../../domain/contracts/escalation';
import { createHandler as createEscalation, type EscalationTask } from '../../lambdas/escalation/index';
import { createHandler as createPagerDuty } from '../../lambdas/notify-pagerduty/index';
import { createHandler as createSlack } from '../../lambdas/notify-slack/index';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { SecretCache } from '../../lambdas/shared/secrets';
import { MaifObservabilityStack } from '../../lib/stack';
import config from '../../observability.config';
import { type AlertTable, alertTableResource, startAlertTable } from '../../sandbox/emulators/dynamodb';
import { EMULATOR_CREDENTIALS } from '../../sandbox/emulators/loopback';
import {
  type PagerDutyReceiver,
  type SlackReceiver,
  startPagerDutyReceiver,
  startSlackReceiver,
} from '../../sandbox/emulators/receivers';
import { type SecretsManagerEmulator, startSecretsManager } from '../../sandbox/emulators/secrets';
import { emailSender, type SmtpReceiver, startSmtpReceiver } from '../../sandbox/emulators/smtp';
import { DEFAULT_EMAIL_SUBJECT, type SnsEmulator, startSns } from '../../sandbox/emulators/sns';
import {
  type EventLog,
  lambdaInvoke,
  onlyDefinition,
  type StepFunctionsEmulator,
  startStepFunctions,
} from '../../sandbox/emulators/step-functions';
import { startXRayReceiver, XRAY_PROTOCOL_HEADER } from '../../sandbox/emulators/xray';
import { testLayerEntry } from '../cdk/helpers';
import { escalationStack, firingAlert } from '../private/escalation-stack';

const REGION = 'eu-west-1';
const FAST_RETRY = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } as const;

/** Waits (event-loop turns, not a clock) until `ready()` holds; false if it never did within `turns`. */
async function until(ready: () => boolean, turns = 4000): Promise<boolean> {
  for (let i = 0; i < turns; i++) {
    if (ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return ready();
}

/** A promise and its resolve, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('SNS emulator (real SNSClient)', () => {
  let sns: SnsEmulator;
  let client: SNSClient;
  let smtp: SmtpReceiver;
  const events: SNSEvent[] = [];
  let hold: Promise<void> = Promise.resolve();
  let flaky = 0;
  let flakyCalls = 0;
  let brokenCalls = 0;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    const mail = emailSender({ host: smtp.host, port: smtp.port, from: 'sns@example.com', to: ['oncall@example.com'] });
    sns = await startSns({
      region: REGION,
      retryDelaysMs: [0, 0],
      topics: {
        plain: [
          {
            protocol: 'lambda',
            handler: async (event) => {
              await hold;
              events.push(event);
            },
          },
        ],
        structured: [
          { protocol: 'lambda', handler: async (event) => void events.push(event) },
          { protocol: 'email', deliver: (m) => mail({ subject: m.subject, body: m.body }) },
        ],
        flaky: [
          {
            protocol: 'lambda',
            handler: async () => {
              flakyCalls += 1;
              if (flaky-- > 0) throw new Error('cold start timeout');
            },
          },
        ],
        broken: [
          {
            protocol: 'lambda',
            handler: async () => {
              brokenCalls += 1;
              throw new Error('handler always fails');
            },
          },
        ],
      },
    });
    client = new SNSClient({ region: REGION, endpoint: sns.endpoint, credentials: EMULATOR_CREDENTIALS });
  });

  afterAll(async () => {
    client.destroy();
    await sns.stop();
    await smtp.stop();
  });

  beforeEach(() => {
    events.length = 0;
  });

  it('answers Publish before delivering, then gives the lambda subscription an SNS event with the attributes', async () => {
    const held = gate();
    hold = held.promise;

    const out = await client.send(
      new PublishCommand({
        TopicArn: sns.topicArns.plain,
        Message: 'disk almost full',
        Subject: 'Disk',
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'critical' },
          count: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      }),
    );
    const deliveredBeforeRelease = events.length;
    held.open();
    await sns.idle();

    expect(deliveredBeforeRelease).toBe(0);
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.topicArns.plain).toBe('arn:aws:sns:eu-west-1:000000000000:plain');
    expect(events).toHaveLength(1);
    const [record] = events[0].Records;
    expect(record.EventSource).toBe('aws:sns');
    expect(record.EventSubscriptionArn.startsWith(`${sns.topicArns.plain}:`)).toBe(true);
    expect(record.Sns).toMatchObject({
      Type: 'Notification',
      MessageId: out.MessageId,
      TopicArn: sns.topicArns.plain,
      Subject: 'Disk',
      Message: 'disk almost full',
      MessageAttributes: {
        severity: { Type: 'String', Value: 'critical' },
        count: { Type: 'Number', Value: '3' },
        blob: { Type: 'Binary', Value: Buffer.from('hi').toString('base64') },
      },
    });
    expect(new Date(record.Sns.Timestamp).toISOString()).toBe(record.Sns.Timestamp);
    expect(sns.published()).toBe(1);
  });

  it('gives each protocol its key of a json message structure, else default, and mails the e-mail one', async () => {
    const before = smtp.received().length;

    await client.send(
      new PublishCommand({
        TopicArn: sns.topicArns.structured,
        MessageStructure: 'json',
        Subject: 'Alert firing',
        Message: JSON.stringify({ default: 'the default', lambda: '{"kind":"firing"}', email: 'Read me, on-call' }),
      }),
    );
    await client.send(
      new PublishCommand({
        TopicArn: sns.topicArns.structured,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'only the default' }),
      }),
    );
    await sns.idle();

    expect(events.map((e) => e.Records[0].Sns.Message)).toEqual(['{"kind":"firing"}', 'only the default']);
    expect(events[1].Records[0].Sns.Subject).toBeNull();
    const mails = smtp.received().slice(before);
    expect(mails.map((m) => [m.subject, m.text])).toEqual([
      ['Alert firing', 'Read me, on-call'],
      [DEFAULT_EMAIL_SUBJECT, 'only the default'],
    ]);
    expect(mails[0]).toMatchObject({ from: 'sns@example.com', to: ['oncall@example.com'] });
  });

  it('refuses a json structure without default, an unknown topic and an empty message, as SNS does', async () => {
    const noDefault = await errorOf(
      client.send(
        new PublishCommand({
          TopicArn: sns.topicArns.structured,
          MessageStructure: 'json',
          Message: JSON.stringify({ lambda: 'x' }),
        }),
      ),
    );
    const unknown = await errorOf(
      client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:000000000000:nope', Message: 'x' })),
    );
    const empty = await errorOf(client.send(new PublishCommand({ TopicArn: sns.topicArns.plain, Message: '' })));

    expect(noDefault.name).toMatch(/^InvalidParameter/);
    expect(noDefault.message).toBe('Invalid parameter: Message Structure - No default entry in JSON message body');
    expect(noDefault.$metadata?.httpStatusCode).toBe(400);
    expect(unknown.name).toMatch(/^NotFound/);
    expect(unknown.$metadata?.httpStatusCode).toBe(404);
    expect(empty.message).toBe('Invalid parameter: Empty message');
  });

  it('retries a failing lambda subscription 3 times in all, then records the failure', async () => {
    flaky = 2;
    const failuresBefore = sns.failures().length;

    await client.send(new PublishCommand({ TopicArn: sns.topicArns.flaky, Message: 'x' }));
    await client.send(new PublishCommand({ TopicArn: sns.topicArns.broken, Message: 'y' }));
    await sns.idle();

    expect(flakyCalls).toBe(3);
    expect(brokenCalls).toBe(3);
    expect(sns.failures().slice(failuresBefore)).toEqual([
      { topicArn: sns.topicArns.broken, protocol: 'lambda', error: 'handler always fails' },
    ]);
  });

  it('rejects bad options naming the field', async () => {
    await expect(startSns({ region: 'Europe', topics: {} })).rejects.toThrow(
      "startSns region: 'Europe' is not an AWS region (e.g. eu-west-1)",
    );
    await expect(startSns({ region: REGION, topics: { 'bad name': [] } })).rejects.toThrow(
      "startSns topics: 'bad name' is not a topic name (1 to 256 letters, digits, - and _)",
    );
  });
});

describe('SMTP receiver and emailSender (nodemailer)', () => {
  it('receives the envelope, a non-ASCII subject and a long accented text intact', async () => {
    const smtp = await startSmtpReceiver();
    const heard: string[] = [];
    smtp.onMessage((m) => heard.push(m.subject));
    const send = emailSender({
      host: smtp.host,
      port: smtp.port,
      from: 'a@example.com',
      to: ['b@example.com', 'c@example.com'],
    });
    const text = `Température élevée — ${'x'.repeat(120)}\nligne 2: 100% = ok\n\nfin`;

    await send({ subject: 'Alerte — température ⚠', body: text });
    await smtp.stop();

    expect(smtp.received()).toHaveLength(1);
    expect(smtp.received()[0]).toMatchObject({
      from: 'a@example.com',
      to: ['b@example.com', 'c@example.com'],
      subject: 'Alerte — température ⚠',
      text,
    });
    expect(heard).toEqual(['Alerte — température ⚠']);
  });

  it('rejects a sender without recipients or with a bad address, naming the field', () => {
    expect(() => emailSender({ host: '127.0.0.1', port: 25, from: 'a@example.com', to: [] })).toThrow(
      'emailSender to: [] is empty (list at least one address)',
    );
    expect(() => emailSender({ host: '127.0.0.1', port: 25, from: 'nobody', to: ['b@example.com'] })).toThrow(
      "emailSender from: 'nobody' is not an e-mail address",
    );
  });
});

describe('Step Functions emulator (real SFNClient, synthesized escalation, real notifiers)', () => {
  const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Escalation';
  let table: AlertTable;
  let store: AlertStore;
  let secrets: SecretsManagerEmulator;
  let slack: SlackReceiver;
  let pagerDuty: PagerDutyReceiver;
  let smtp: SmtpReceiver;
  let sns: SnsEmulator;
  let snsClient: SNSClient;
  let secretsClient: SecretsManagerClient;
  let sfn: StepFunctionsEmulator;
  let client: SFNClient;
  const events: { execution: string; event: EventLog }[] = [];
  /** fingerprint -> gate the check task waits at */
  const gates = new Map<string, Promise<void>>();
  /** fingerprint -> how many more times the check task throws */
  const throwsLeft = new Map<string, number>();
  /** per check call: had onEvent already streamed this task's StateEntered when the task ran? */
  const streamedBeforeTask: boolean[] = [];

  beforeAll(async () => {
    const { template } = escalationStack();
    table = await startAlertTable(template.toJSON() as object, { region: REGION });
    store = new AlertStore({ client: table.client, tableName: table.tableName });
    slack = await startSlackReceiver();
    pagerDuty = await startPagerDutyReceiver();
    smtp = await startSmtpReceiver();
    secrets = await startSecretsManager({
      'maif/slack-webhook': slack.url,
      'maif/pagerduty': JSON.stringify({ routingKey: 'R0UTINGKEY0123456789' }),
    });
    secretsClient = new SecretsManagerClient({
      region: REGION,
      endpoint: secrets.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });
    const cache = new SecretCache(secretsClient);
    sns = await startSns({
      region: REGION,
      topics: {
        slack: [
          {
            protocol: 'lambda',
            handler: createSlack({ webhookSecret: 'maif/slack-webhook' }, { secrets: cache, retry: FAST_RETRY }),
          },
        ],
        pagerduty: [
          {
            protocol: 'lambda',
            handler: createPagerDuty(
              { routingKeySecret: 'maif/pagerduty', endpoint: pagerDuty.endpoint },
              { secrets: cache, retry: FAST_RETRY },
            ),
          },
        ],
        email: [
          {
            protocol: 'email',
            deliver: emailSender({
              host: smtp.host,
              port: smtp.port,
              from: 'sns@example.com',
              to: ['oncall@example.com'],
            }),
          },
        ],
      },
    });
    snsClient = new SNSClient({ region: REGION, endpoint: sns.endpoint, credentials: EMULATOR_CREDENTIALS });
    const escalation = createEscalation({}, { store, sns: snsClient, topicArns: sns.topicArns }) as (
      task: EscalationTask,
    ) => Promise<unknown>;
    const check = async (task: EscalationTask) => {
      const fingerprint = task.input.alert.fingerprint;
      const execution = `${fingerprint}-${task.input.episode}`;
      const entered = () =>
        events.some(
          (e) => e.execution === execution && e.event.type === 'StateEntered' && e.event.state?.name === S.check,
        );
      streamedBeforeTask.push(await until(entered, 200));
      await gates.get(fingerprint);
      const left = throwsLeft.get(fingerprint) ?? 0;
      if (left > 0) {
        throwsLeft.set(fingerprint, left - 1);
        throw new Error('Lambda timed out');
      }
      return escalation(task);
    };
    sfn = await startStepFunctions({
      definition: onlyDefinition(template),
      stateMachineArn: STATE_MACHINE_ARN,
      tasks: { [S.check]: lambdaInvoke(check), [S.notify]: lambdaInvoke(escalation) },
      waits: { [S.wait]: 0 },
      retryIntervals: { [S.check]: 0, [S.notify]: 0 },
      onEvent: (execution, event) => events.push({ execution, event }),
    });
    client = new SFNClient({ region: REGION, endpoint: sfn.endpoint, credentials: EMULATOR_CREDENTIALS });
  });

  afterAll(async () => {
    client.destroy();
    await sfn.stop();
    snsClient.destroy();
    await sns.stop();
    secretsClient.destroy();
    await Promise.all([secrets.stop(), slack.stop(), pagerDuty.stop(), smtp.stop(), table.stop()]);
  });

  let counter = 0;
  async function firing(): Promise<{ name: string; input: EscalationInput }> {
    counter += 1;
    const { alert, episode } = await firingAlert(store, counter);
    const input: EscalationInput = {
      alert,
      episode,
      levels: [
        { name: 'notify', channels: ['slack'], delaySeconds: 0 },
        { name: 'on_call', channels: ['pagerduty', 'email'], delaySeconds: 300 },
      ],
      repeat: 0,
    };
    return { name: `${alert.fingerprint}-${episode}`, input };
  }

  const start = (name: string, input: unknown) =>
    client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name, input: JSON.stringify(input) }));

  it('runs a started execution to SUCCEEDED, streaming its events as they happen, and notifies through SNS', async () => {
    const { name, input } = await firing();

    const started = await start(name, input);
    await sfn.executions.get(name)?.done;
    await sns.idle();
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    expect(started.executionArn).toBe(`arn:aws:states:eu-west-1:123456789012:execution:Escalation:${name}`);
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ status: 'SUCCEEDED', name, input: JSON.stringify(input) });
    expect(JSON.parse(described.output ?? 'null')).toEqual(sfn.executions.get(name)?.output);
    const mine = events.filter((e) => e.execution === name).map((e) => e.event);
    expect(mine[0].type).toBe('ExecutionStarted');
    expect(mine.at(-1)?.type).toBe('ExecutionSucceeded');
    const entered = mine.flatMap((e) => (e.type === 'StateEntered' && e.state ? [e.state.name] : []));
    expect(entered.filter((s) => s === S.notify)).toHaveLength(2);
    expect(entered.at(-1)).toBe(S.complete);
    expect(streamedBeforeTask.length).toBeGreaterThan(0);
    expect(streamedBeforeTask.every(Boolean)).toBe(true);
    expect(slack.received().map((m) => (m.body as { text: string }).text)).toEqual([
      expect.stringContaining('search_latency_high'),
    ]);
    expect(pagerDuty.received().map((m) => m.body)).toContainEqual(
      expect.objectContaining({ routing_key: 'R0UTINGKEY0123456789', event_action: 'trigger' }),
    );
    expect(smtp.received().some((m) => m.text.includes('p95 above 100ms'))).toBe(true);
    expect(sns.failures()).toEqual([]);
  });

  it('refuses a used name with other input, repeats a running start idempotently, and stops an execution', async () => {
    const { name, input } = await firing();
    const held = gate();
    gates.set(input.alert.fingerprint, held.promise);

    const first = await start(name, input);
    const again = await start(name, input);
    const other = await errorOf(start(name, { ...input, repeat: 1 }));
    await client.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Superseded' }));
    const described = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    const afterStop = await errorOf(start(name, input));
    held.open();
    await sfn.idle();

    expect(again.executionArn).toBe(first.executionArn);
    expect(other.name).toBe('ExecutionAlreadyExists');
    expect(other.$metadata?.httpStatusCode).toBe(400);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Superseded' });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(afterStop.name).toBe('ExecutionAlreadyExists');
    expect(sfn.executions.get(name)?.status).toBe('ABORTED');
    expect(events.filter((e) => e.execution === name).at(-1)?.event.type).toBe('ExecutionAborted');
  });

  it("applies the definition's Retry to a task that throws, and its Catch when the task keeps throwing", async () => {
    const once = await firing();
    const always = await firing();
    throwsLeft.set(once.input.alert.fingerprint, 1);
    throwsLeft.set(always.input.alert.fingerprint, 100);

    await start(once.name, once.input);
    const failed = await start(always.name, always.input);
    await sfn.idle();
    const described = await client.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));

    const retried = (name: string) =>
      events.filter((e) => e.execution === name && e.event.type === 'StateRetried').length;
    expect(sfn.executions.get(once.name)?.status).toBe('SUCCEEDED');
    expect(retried(once.name)).toBe(1);
    expect(described).toMatchObject({ status: 'FAILED', error: ESCALATION_FAILED_ERROR });
    expect(described.output).toBeUndefined();
    expect(retried(always.name)).toBeGreaterThan(1);
  });

  it('answers unknown operations, executions and names with the service errors', async () => {
    const unknownOperation = await errorOf(client.send(new ListStateMachinesCommand({})));
    const unknownExecution = await errorOf(
      client.send(
        new DescribeExecutionCommand({
          executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:nope`,
        }),
      ),
    );
    const badName = await errorOf(start('has space', {}));
    const otherMachine = await errorOf(
      client.send(new StartExecutionCommand({ stateMachineArn: `${STATE_MACHINE_ARN}2`, input: '{}' })),
    );

    expect(unknownOperation.name).toBe('UnknownOperationException');
    expect(unknownExecution.name).toBe('ExecutionDoesNotExist');
    expect(badName.name).toBe('InvalidName');
    expect(otherMachine.name).toBe('StateMachineDoesNotExist');
  });

  it('refuses a definition with a Task state that has no handler, and a bad ARN', async () => {
    const definition = onlyDefinition(escalationStack().template);

    await expect(
      startStepFunctions({ definition, stateMachineArn: STATE_MACHINE_ARN, tasks: { [S.check]: () => ({}) } }),
    ).rejects.toThrow(`step functions tasks: no handler for Task state(s) '${S.notify}'`);
    await expect(startStepFunctions({ definition, stateMachineArn: 'Escalation', tasks: {} })).rejects.toThrow(
      "startStepFunctions stateMachineArn: 'Escalation' is not a state machine ARN",
    );
  });
});

describe('DynamoDB emulator (table from the synthesized template)', () => {
  it('creates the alert table of MaifObservabilityStack with its key schema and TTL attribute', async () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new MaifObservabilityStack(app, 'Dev', {
      config: resolveConfig(config, 'dev'),
      layerEntry: testLayerEntry(),
    });
    const template = Template.fromStack(stack).toJSON() as object;
    const { properties } = alertTableResource(template);

    const table = await startAlertTable(template);
    try {
      const { Table } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));

      expect(table.tableName).toBe('maif-alerts');
      expect(Table?.KeySchema).toEqual(properties.KeySchema);
      expect(Table?.AttributeDefinitions).toEqual(properties.AttributeDefinitions);
      expect(table.timeToLiveAttribute).toBe(
        (properties.TimeToLiveSpecification as { AttributeName: string }).AttributeName,
      );
    } finally {
      await table.stop();
    }
  });

  it("creates a global table's name and secondary indexes", async () => {
    const stack = new Stack(new App(), 'G');
    new dynamodb.TableV2(stack, 'Table', {
      tableName: 'alerts-by-status',
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER },
      globalSecondaryIndexes: [
        { indexName: 'byStatus', partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING } },
      ],
    });

    const table = await startAlertTable(Template.fromStack(stack));
    try {
      const { Table } = await table.client.send(new DescribeTableCommand({ TableName: 'alerts-by-status' }));

      expect(table.tableName).toBe('alerts-by-status');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema])).toEqual([
        ['byStatus', [{ AttributeName: 'status', KeyType: 'HASH' }]],
      ]);
    } finally {
      await table.stop();
    }
  });

  it('names the problem when the template has no table or several', async () => {
    const table = { Type: 'AWS::DynamoDB::Table', Properties: {} };

    await expect(startAlertTable({ Resources: {} })).rejects.toThrow(
      'startAlertTable template: AWS::DynamoDB::Table or AWS::DynamoDB::GlobalTable resources: none (expected exactly one)',
    );
    await expect(startAlertTable({ Resources: { A: table, B: table } })).rejects.toThrow(
      'resources: A, B (expected exactly one)',
    );
    await expect(startAlertTable({ Resources: { A: table } })).rejects.toThrow(
      'startAlertTable table A.KeySchema: undefined is not 1 or 2 {AttributeName, KeyType: HASH|RANGE}',
    );
  });
});

describe('X-Ray receiver (UDP daemon protocol)', () => {
  const traceId = '1-67000000-0123456789abcdef01234567';

  async function send(address: string, datagrams: string[]): Promise<void> {
    const [host, port] = address.split(':');
    const socket = createSocket('udp4');
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) =>
        socket.send(datagram, Number(port), host, (error) => (error ? reject(error) : resolve())),
      );
    }
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  const datagram = (doc: object) => `${XRAY_PROTOCOL_HEADER}\n${JSON.stringify(doc)}`;

  it('assembles a segment, its nested and independent subsegments into one trace and counts a malformed datagram', async () => {
    const xray = await startXRayReceiver();
    const heard: unknown[] = [];
    xray.onSegment((s) => heard.push(s.id));

    await send(xray.address, [
      'not the protocol',
      datagram({
        trace_id: traceId,
        id: 'a000000000000001',
        name: 'search-api',
        start_time: 1700000000.1,
        end_time: 1700000000.35,
        annotations: { route: '/search' },
        subsegments: [
          { id: 'b000000000000002', name: 'DynamoDB', start_time: 1700000000.15, end_time: 1700000000.2, fault: true },
        ],
      }),
      datagram({
        trace_id: traceId,
        id: 'c000000000000003',
        type: 'subsegment',
        parent_id: 'a000000000000001',
        name: 'ranking',
        start_time: 1700000000.2,
        end_time: 1700000000.5,
        error: true,
        annotations: { model: 'v2' },
      }),
    ]);
    const arrived = await until(() => xray.segmentCount() === 2 && xray.malformed() === 1);
    await xray.stop();

    expect(arrived).toBe(true);
    expect(heard).toEqual(['a000000000000001', 'c000000000000003']);
    const traces = xray.traces();
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({
      traceId,
      name: 'search-api',
      startTime: 1700000000100,
      durationMs: 400,
      error: true,
      fault: true,
      annotations: { route: '/search', model: 'v2' },
    });
    expect(traces[0].segments.map((s) => [s.id, s.parentId])).toEqual([
      ['a000000000000001', undefined],
      ['b000000000000002', 'a000000000000001'],
      ['c000000000000003', 'a000000000000001'],
    ]);
  });

  it('keeps at most maxTraces, dropping the oldest, newest first', async () => {
    const xray = await startXRayReceiver({ maxTraces: 2 });
    const ids = [
      '1-67000000-000000000000000000000001',
      '1-67000000-000000000000000000000002',
      '1-67000000-000000000000000000000003',
    ];

    await send(
      xray.address,
      ids.map((id, i) =>
        datagram({ trace_id: id, id: `d00000000000000${i}`, name: `fn${i}`, start_time: 1700000000 + i }),
      ),
    );
    const arrived = await until(() => xray.segmentCount() === 3);
    await xray.stop();

    expect(arrived).toBe(true);
    expect(xray.traces().map((t) => [t.traceId, t.name])).toEqual([
      [ids[2], 'fn2'],
      [ids[1], 'fn1'],
    ]);
  });

  it('rejects a maxTraces that is not a whole number >= 1', async () => {
    await expect(startXRayReceiver({ maxTraces: 0 })).rejects.toThrow(
      'startXRayReceiver maxTraces: 0 is not allowed (use a whole number >= 1)',
    );
  });
});

describe('Secrets Manager emulator (real SecretsManagerClient)', () => {
  it('serves GetSecretValue by name and ARN, reads values set after the start, and refuses unknown ids', async () => {
    const values: Record<string, string> = { 'maif/slack-webhook': 'https://hooks.example.com/x' };
    const secrets = await startSecretsManager(values, { region: REGION });
    const client = new SecretsManagerClient({
      region: REGION,
      endpoint: secrets.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });
    try {
      const byName = await client.send(new GetSecretValueCommand({ SecretId: 'maif/slack-webhook' }));
      const byArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
      values['maif/pagerduty'] = '{"routingKey":"abc"}';
      const routingKey = await new SecretCache(client).field('maif/pagerduty', ['routingKey']);
      const unknown = await errorOf(client.send(new GetSecretValueCommand({ SecretId: 'maif/absent' })));

      expect(byName).toMatchObject({ Name: 'maif/slack-webhook', SecretString: 'https://hooks.example.com/x' });
      expect(byName.ARN).toMatch(
        /^arn:aws:secretsmanager:eu-west-1:000000000000:secret:maif\/slack-webhook-[A-Za-z0-9]{6}$/,
      );
      expect(byArn.SecretString).toBe('https://hooks.example.com/x');
      expect(routingKey).toBe('abc');
      expect(unknown.name).toBe('ResourceNotFoundException');
      expect(secrets.calls()).toBe(4);
      expect(secrets.calls('maif/slack-webhook')).toBe(1);
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });
});

describe('Slack and PagerDuty receivers', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** POSTs `size` bytes without a content-length (chunked), as a streaming client does. */
  const postStreamed = (url: string, size: number) =>
    new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, ' ');
      for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
      req.end();
    });
  const trigger = {
    routing_key: 'R0UTINGKEY0123456789',
    event_action: 'trigger',
    dedup_key: 'fp-1',
    payload: { summary: 'p95 above 100ms', source: 'maif', severity: 'critical' },
  };

  it('answers PagerDuty events 202 with the dedup key, 400 when invalid, 404 off /v2/enqueue', async () => {
    const pd = await startPagerDutyReceiver();
    const heard: unknown[] = [];
    pd.onMessage((m) => heard.push(m.body));
    try {
      const ok = await post(`${pd.endpoint}/v2/enqueue`, trigger);
      const invalid = await post(`${pd.endpoint}/v2/enqueue`, { ...trigger, payload: { summary: 'x' } });
      const offPath = await post(`${pd.endpoint}/v1/enqueue`, trigger);

      expect([ok.status, invalid.status, offPath.status]).toEqual([202, 400, 404]);
      expect(await ok.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'fp-1' });
      expect(((await invalid.json()) as { errors: string[] }).errors).toEqual([
        'payload.source: missing',
        "payload.severity: 'undefined'",
      ]);
      expect(pd.received().map((m) => m.body)).toEqual([trigger]);
      expect(heard).toEqual([trigger]);
      expect(pd.rejected()).toHaveLength(2);
    } finally {
      await pd.stop();
    }
  });

  it("answers a Slack webhook 'ok' to a Block Kit message and 400 invalid_blocks otherwise", async () => {
    const slack = await startSlackReceiver();
    const message = { text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*firing*' } }] };
    try {
      const ok = await post(slack.url, message);
      const invalid = await post(slack.url, { text: 'no blocks' });

      expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
      expect([invalid.status, await invalid.text()]).toEqual([400, 'invalid_blocks']);
      expect(slack.received()).toHaveLength(1);
      expect(slack.received()[0].body).toEqual(message);
      expect(slack.rejected()[0].errors).toEqual(['blocks: missing']);
    } finally {
      await slack.stop();
    }
  });

  it('answers a body over 8 MB 413, declared or streamed, instead of resetting the connection', async () => {
    const pd = await startPagerDutyReceiver();
    const slack = await startSlackReceiver();
    const size = 9 * 1024 * 1024;
    try {
      const declared = await fetch(`${pd.endpoint}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(size, ' '),
      });
      const streamedToPagerDuty = await postStreamed(`${pd.endpoint}/v2/enqueue`, size);
      const streamedToSlack = await postStreamed(slack.url, size);

      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({ status: 'request too large' });
      expect(streamedToPagerDuty).toEqual({ status: 413, body: JSON.stringify({ status: 'request too large' }) });
      expect(streamedToSlack).toEqual({ status: 413, body: 'request_too_large' });
      expect([pd.received(), pd.rejected(), slack.received(), slack.rejected()]).toEqual([[], [], [], []]);
    } finally {
      await Promise.all([pd.stop(), slack.stop()]);
    }
  });
});
