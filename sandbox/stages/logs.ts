/**
 * CloudWatch Logs and the log aggregator: the service's log streams are stored (their EMF goes to
 * the metric store) and delivered by the subscription filter to the real log aggregator handler,
 * whose forwarded lines the page shows and whose alerts go through EventBridge to the router.
 *
 * Main-thread Lambdas (the aggregator, the router) run on the wall clock: their EMF is re-timed
 * onto the simulated clock before the store sees it, as if their own clock were compressed too.
 */
import type { CloudWatchLogsEvent } from '../../domain/logs/decode';
import { createHandler as createAggregator } from '../../lambdas/log-aggregator/index';
import { Metrics } from '../../layers/instrumentation/metrics';
import { LocalLogs } from '../cloudwatch-logs';
import { ACCOUNT, resourceName, type StageContext } from './context';
import type { StandIns } from './stand-ins';

/** How often log streams are delivered to the aggregator (real ms). */
const LOG_DELIVERY_MS = 250;

export interface Logs {
  /** The service's log groups: stored lines, extracted EMF, batches for the aggregator. */
  readonly logGroups: LocalLogs;
  /** The kit's Metrics for a main-thread function named `functionName`, re-timed onto the simulated clock. */
  kitMetrics(functionName: string): Metrics;
  /** Delivers the log streams to the aggregator every LOG_DELIVERY_MS until the sandbox stops. */
  deliverContinuously(): void;
}

export function startLogs(ctx: StageContext, standIns: Pick<StandIns, 'eventBridge' | 'sqs' | 'dlqUrl'>): Logs {
  const { setup, records } = ctx;
  const { config, environment, clock, store } = setup;
  const logs = new LocalLogs({
    store,
    owner: ACCOUNT,
    subscriptionFilter: resourceName(setup, 'aggregator'),
    deliver: (event) => aggregate(event),
    onError: (error) => records.problem('log delivery to the aggregator failed', error),
  });
  const extractRetimedEmf = (line: string) => {
    try {
      const doc = JSON.parse(line) as { _aws?: { Timestamp?: number } };
      if (doc._aws && typeof doc._aws.Timestamp === 'number') doc._aws.Timestamp = clock.toSim(doc._aws.Timestamp);
      logs.extractEmf(JSON.stringify(doc));
    } catch {
      /* not JSON: not EMF */
    }
  };
  const kitMetrics = (functionName: string) =>
    new Metrics({
      namespace: config.namespace,
      service: functionName,
      defaultDimensions: { environment },
      sink: extractRetimedEmf,
      strict: false,
    });
  const aggregator = createAggregator(
    {
      rules: config.logging.processingRules,
      lookupTables: config.logging.lookupTables,
      sources: config.logging.sources,
    },
    {
      eventBridge: standIns.eventBridge,
      sqs: standIns.sqs,
      metrics: kitMetrics(resourceName(setup, 'log-aggregator')),
      sink: (lines) => {
        for (const line of lines) {
          if (line.includes('"_aws"')) extractRetimedEmf(line);
          else records.addRecentLog(line);
        }
      },
      env: {
        namespace: config.namespace,
        service: config.service,
        environment,
        dlqUrl: standIns.dlqUrl,
        eventBusName: resourceName(setup, 'observability'),
        ownLogGroup: `/aws/lambda/${resourceName(setup, 'log-aggregator')}`,
      },
    },
  );
  async function aggregate(event: CloudWatchLogsEvent): Promise<void> {
    records.counts.aggregatorBatches++;
    await aggregator(event);
  }
  return {
    logGroups: logs,
    kitMetrics,
    deliverContinuously: () => ctx.lifecycle.every(LOG_DELIVERY_MS, () => void logs.flush()),
  };
}
