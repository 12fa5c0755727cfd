/** A burst of errors amid steady traffic, for replaying how alarms fire and clear. */
import { MetricStore } from '../../domain/evaluator/store';

export interface ErrorBurst {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The first minute (epoch ms); each minute's datapoints land 1 s into it. */
  readonly start: number;
  readonly minutes: number;
  readonly requestsPerMinute: number;
  readonly errorsPerMinute: number;
  /** The minutes with errors, as indexes [from, to). */
  readonly errorMinutes: readonly [from: number, to: number];
}

/**
 * A store with `http_requests_total` written every minute and `http_request_errors_total` only in
 * the burst's minutes: the error counter is not written at all in the other minutes, so they have
 * requests and no error datapoint (not a 0), which an alarm must still read as no error.
 */
export function errorBurstStore(burst: ErrorBurst): MetricStore {
  const { namespace, dimensions } = burst;
  const [from, to] = burst.errorMinutes;
  const store = new MetricStore();
  for (let minute = 0; minute < burst.minutes; minute++) {
    const timestamp = burst.start + minute * 60_000 + 1_000;
    store.add({ namespace, metricName: 'http_requests_total', dimensions, timestamp, value: burst.requestsPerMinute });
    if (minute >= from && minute < to) {
      store.add({
        namespace,
        metricName: 'http_request_errors_total',
        dimensions,
        timestamp,
        value: burst.errorsPerMinute,
      });
    }
  }
  return store;
}
