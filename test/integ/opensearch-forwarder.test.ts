/**
 * The OpenSearch forwarder puts the aggregated log group's normalized events into Firehose, one
 * record per event, through the real Firehose client (to a loopback endpoint that answers
 * PutRecordBatch the way Firehose does, refusing records when told to).
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import fc from 'fast-check';
import {
  batches,
  createHandler,
  MAX_ATTEMPTS,
  MAX_BATCH_BYTES,
  MAX_RECORDS_PER_BATCH,
} from '../../lambdas/opensearch-forwarder';
import { AwsJsonLoopback, LOOPBACK_CREDENTIALS } from '../private/aws-json-loopback';
import { controlMessage, dataMessage, lambdaReportLine } from '../private/cwl-payload';

const TARGET = 'Firehose_20150804.PutRecordBatch';
const STREAM = 'maif-prod-opensearch';

/** Which records of a call the loopback refuses, by their position in the call. */
let refuse: (call: number, position: number) => boolean = () => false;

let loopback: AwsJsonLoopback;
let firehose: FirehoseClient;

beforeAll(async () => {
  const started = await AwsJsonLoopback.start({
    [TARGET]: (body, call) => {
      const records = body.Records as { Data: string }[];
      const responses = records.map((_, i) =>
        refuse(call, i)
          ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
          : { RecordId: `record-${call}-${i}` },
      );
      return {
        body: {
          FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length,
          Encrypted: true,
          RequestResponses: responses,
        },
      };
    },
  });
  loopback = started.loopback;
  firehose = new FirehoseClient({ region: 'eu-west-3', credentials: LOOPBACK_CREDENTIALS, endpoint: started.endpoint });
});

beforeEach(() => {
  loopback.requests.length = 0;
  refuse = () => false;
});

afterAll(async () => {
  firehose?.destroy();
  await loopback?.close();
});

const forwarder = () => createHandler({ firehose, streamName: STREAM, sleep: async () => {} });
const normalized = (i: number) =>
  JSON.stringify({
    timestamp: '2026-01-01T00:00:00.000Z',
    level: 'INFO',
    service: 'maif',
    message: `m${i}`,
    source: { id: `${i}` },
  });
/** The records Firehose received, decoded, call by call. */
const received = () =>
  loopback.of(TARGET).map((r) => {
    expect(r.body.DeliveryStreamName).toBe(STREAM);
    return (r.body.Records as { Data: string }[]).map((rec) => Buffer.from(rec.Data, 'base64').toString('utf8'));
  });

describe('the OpenSearch forwarder', () => {
  it('puts each normalized event into the stream as a record of its own, and nothing else', async () => {
    const lines = [
      normalized(1),
      lambdaReportLine('8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10', 12.5),
      normalized(2),
      '[1,2]',
    ];

    const result = await forwarder()(dataMessage(lines, { logGroup: '/aws/lambda/maif-log-aggregator' }));

    expect(result).toEqual({ received: 4, forwarded: 2, skipped: 2 });
    expect(received()).toEqual([[normalized(1), normalized(2)]]);
  });

  it('sends at most 500 records per call, in order', async () => {
    const lines = Array.from({ length: 1201 }, (_, i) => normalized(i));

    const result = await forwarder()(dataMessage(lines));

    expect(result.forwarded).toBe(1201);
    const calls = received();
    expect(calls.map((c) => c.length)).toEqual([500, 500, 201]);
    expect(calls.flat()).toEqual(lines);
  });

  it('sends again only the records Firehose refused', async () => {
    refuse = (call, position) => call === 0 && position % 2 === 1;

    const result = await forwarder()(dataMessage([0, 1, 2, 3].map(normalized)));

    expect(result.forwarded).toBe(4);
    expect(received()).toEqual([[0, 1, 2, 3].map(normalized), [1, 3].map(normalized)]);
  });

  it('throws, so Lambda retries the delivery, when records are still refused after the last attempt', async () => {
    refuse = (_, position) => position === 0;

    await expect(forwarder()(dataMessage([0, 1].map(normalized)))).rejects.toThrow(
      `opensearch forwarder: 1 of 2 records refused by Firehose after ${MAX_ATTEMPTS} attempts (ServiceUnavailableException: Slow down.)`,
    );
    expect(received()).toHaveLength(MAX_ATTEMPTS);
  });

  it('answers control messages and undecodable deliveries without calling Firehose', async () => {
    expect(await forwarder()(controlMessage())).toEqual({ received: 0, forwarded: 0, skipped: 0 });
    expect(await forwarder()({ awslogs: { data: 'not base64 !' } })).toEqual({ received: 0, forwarded: 0, skipped: 0 });
    expect(loopback.of(TARGET)).toEqual([]);
  });

  it('refuses to start without a stream name', () => {
    expect(() => createHandler({ firehose, streamName: '' })).toThrow(
      'opensearch forwarder: MAIF_DELIVERY_STREAM_NAME is not set',
    );
  });
});

const SHARED = new ArrayBuffer(1000 * 1024);

describe('batches', () => {
  it('keeps every record, in order, within 500 records and 4 MiB per call', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 * 1024 }), { maxLength: 1200 }), (sizes) => {
        // views of one buffer: sizes up to Firehose's 1,000 KiB without allocating them
        const records = sizes.map((size) => ({ Data: new Uint8Array(SHARED, 0, size) }));
        const out = batches(records);
        const flat = out.flat();
        expect(flat).toHaveLength(records.length);
        expect(flat.every((record, i) => record === records[i])).toBe(true);
        for (const batch of out) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(MAX_RECORDS_PER_BATCH);
          expect(batch.reduce((sum, r) => sum + (r.Data?.length ?? 0), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
        }
      }),
      { numRuns: 50 },
    );
  });
});
