/**
 * Where a flush goes. A sink receives one batch per flush: the aggregated series of the
 * interval. The EMF sinks serialize it with `serializeEmf`; the PutMetricData sink
 * (`cloudwatch-sink.ts`) converts the same batch into API requests.
 */
import { type EmfDropReason, type EmfSeries, serializeEmf } from './emf';

/** One flush: everything aggregated since the previous flush. */
export interface MetricsBatch {
  readonly namespace: string;
  /** Milliseconds since the epoch, taken once per flush. */
  readonly timestamp: number;
  readonly series: readonly EmfSeries[];
  /** Names of the aggregate ("rollup") dimension set; empty when rollups are off. */
  readonly rollup: readonly string[];
  /** Told about each series the serializer could not write (the kit counts it). */
  readonly onDropped?: (series: EmfSeries, reason: EmfDropReason) => void;
}

export interface MetricsSink {
  /** Writes one batch; may return a promise (then `flush()` returns one too). */
  write(batch: MetricsBatch): void | Promise<void>;
  /** Called once by `Metrics` with its flush, so a sink with a timer can flush on its own. */
  attach?(flush: () => void | Promise<void>): void;
}

/** A function receiving each EMF line (without a line feed). */
export type LineSink = (line: string) => void;

function emfLines(batch: MetricsBatch): string[] {
  return serializeEmf(batch.namespace, batch.series, {
    timestamp: batch.timestamp,
    rollup: batch.rollup,
    onDropped: batch.onDropped,
  });
}

/** Writes EMF to `process.stdout`: all lines of a flush in one write call (one syscall). */
export function stdoutSink(): MetricsSink {
  return {
    write(batch) {
      const lines = emfLines(batch);
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    },
  };
}

/** Hands each EMF line to `receive`, e.g. a logger or a test's array. */
export function lineSink(receive: LineSink): MetricsSink {
  return {
    write(batch) {
      for (const line of emfLines(batch)) receive(line);
    },
  };
}
