/**
 * `serializeEmf`: aggregated series -> CloudWatch Embedded Metric Format lines, one JSON
 * document per line. Pure (no I/O, no clock unless no timestamp is given), so the log
 * aggregator reuses it for `extract_metric` rules.
 *
 * Guarantees on every line: valid JSON; at most 100 metric definitions; at most 100 values per
 * metric; at most 30 dimensions per dimension set; under 256 KB (UTF-8); only finite numbers
 * within ±2^360. Anything larger is split across documents, never dropped: a distribution with
 * more than 100 buckets goes out as several documents whose Counts (and Sum) add up exactly.
 */
import type { MetricUnit, StorageResolution } from '../types';
import type { DistributionValue } from './distribution';
import {
  cloudWatchName,
  cloudWatchValue,
  dimensionValue,
  MAX_DIMENSIONS,
  MAX_DOCUMENT_BYTES,
  MAX_METRICS_PER_DOCUMENT,
  MAX_VALUES_PER_METRIC,
} from './limits';

/** One aggregated series: a metric name, its dimension values and one value for the interval. */
export interface EmfSeries {
  readonly name: string;
  /** Dimension name -> value, in the order they should appear (default dimensions first). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** @default 'None' */
  readonly unit?: MetricUnit;
  /** @default 60 */
  readonly resolution?: StorageResolution;
  /** A counter's sum or a gauge's value, or a distribution (histograms and summaries). */
  readonly value: number | DistributionValue;
}

/** Why the serializer could not write a series (nothing else is ever left out). */
export type EmfDropReason = 'non_finite' | 'out_of_range' | 'name_conflict';

export interface EmfOptions {
  /** Milliseconds since the epoch. @default - Date.now() */
  readonly timestamp?: number;
  /**
   * Dimension names of the aggregate ("rollup") dimension set added beside each series' full
   * set, so a metric can be queried across all its label values (e.g. by service alone).
   * @default - no rollup set
   */
  readonly rollup?: readonly string[];
  /** Told about each series (or distribution value) that could not be written. */
  readonly onDropped?: (series: EmfSeries, reason: EmfDropReason) => void;
}

/** One metric of one document: its definition and its `"name":value` member. */
interface Entry {
  readonly name: string;
  readonly definition: string;
  readonly member: string;
  readonly bytes: number;
}

interface Group {
  readonly head: string;
  readonly members: string;
  readonly frameBytes: number;
  readonly entries: Entry[];
}

interface Document {
  readonly definitions: string[];
  readonly members: string[];
  readonly names: Set<string>;
  bytes: number;
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Serializes `series` into EMF lines (no trailing newline). Series sharing dimension values share documents. */
export function serializeEmf(namespace: string, series: readonly EmfSeries[], options: EmfOptions = {}): string[] {
  const timestamp = Math.trunc(options.timestamp ?? Date.now());
  const namespaceJson = JSON.stringify(cloudWatchName(namespace));
  const rollup = options.rollup ?? [];
  const groups = new Map<string, Group>();
  for (const item of series) {
    const dimensions = sanitizeDimensions(item.dimensions);
    const key = dimensions.map(([name, value]) => `${name}\u0000${value}`).join('\u0000');
    let group = groups.get(key);
    if (group === undefined) {
      group = newGroup(namespaceJson, timestamp, dimensions, rollup);
      groups.set(key, group);
    }
    addEntries(group, item, dimensions, options.onDropped);
  }
  const lines: string[] = [];
  for (const group of groups.values()) for (const document of pack(group)) lines.push(render(group, document));
  return lines;
}

/** Sanitized names and values; at most 30 dimensions (the first ones win); later duplicates of a name are ignored. */
export function sanitizeDimensions(dimensions: Readonly<Record<string, string>>): [string, string][] {
  const result: [string, string][] = [];
  const seen = new Set<string>();
  for (const name in dimensions) {
    const clean = cloudWatchName(name);
    if (seen.has(clean) || clean === '_aws') continue;
    seen.add(clean);
    result.push([clean, dimensionValue(String(dimensions[name]))]);
    if (result.length === MAX_DIMENSIONS) break;
  }
  return result;
}

function newGroup(
  namespaceJson: string,
  timestamp: number,
  dimensions: readonly [string, string][],
  rollup: readonly string[],
): Group {
  const names = dimensions.map(([name]) => name);
  const sets = [names];
  const rollupNames = rollup.map(cloudWatchName).filter((name) => names.includes(name));
  if (rollupNames.length > 0 && rollupNames.length < names.length) sets.push(rollupNames);
  const head = `{"_aws":{"Timestamp":${timestamp},"CloudWatchMetrics":[{"Namespace":${namespaceJson},"Dimensions":${JSON.stringify(sets)},"Metrics":[`;
  const members = dimensions.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',');
  // Frame: head + ']}]},' + (members + ',') + '}'.
  const frameBytes = utf8(head) + 6 + (members === '' ? 0 : utf8(members) + 1);
  return { head, members, frameBytes, entries: [] };
}

function addEntries(
  group: Group,
  series: EmfSeries,
  dimensions: readonly [string, string][],
  onDropped: EmfOptions['onDropped'],
): void {
  const name = cloudWatchName(series.name);
  if (name === '_aws' || dimensions.some(([dimension]) => dimension === name)) {
    onDropped?.(series, 'name_conflict');
    return;
  }
  const nameJson = JSON.stringify(name);
  let definition = `{"Name":${nameJson},"Unit":${JSON.stringify(series.unit ?? 'None')}`;
  definition += series.resolution === 1 ? ',"StorageResolution":1}' : '}';
  const values =
    typeof series.value === 'number' ? scalar(series, onDropped) : distributionChunks(series, series.value, onDropped);
  for (const value of values) {
    const member = `${nameJson}:${value}`;
    // Two commas at most: one between definitions, one between members.
    group.entries.push({ name, definition, member, bytes: utf8(definition) + utf8(member) + 2 });
  }
}

function scalar(series: EmfSeries, onDropped: EmfOptions['onDropped']): string[] {
  const value = cloudWatchValue(series.value as number);
  if (value !== undefined) return [String(value)];
  onDropped?.(series, Number.isNaN(series.value) || !Number.isFinite(series.value) ? 'non_finite' : 'out_of_range');
  return [];
}

/**
 * A distribution as Values/Counts chunks of at most 100 pairs, each with Count, Sum, Min and
 * Max. One chunk carries the exact statistics; when split, each chunk's Count is exact, its Sum
 * is the bucket estimate except the last, which carries the remainder so the Sums add up.
 */
function distributionChunks(
  series: EmfSeries,
  distribution: DistributionValue,
  onDropped: EmfOptions['onDropped'],
): string[] {
  const values: number[] = [];
  const counts: number[] = [];
  for (let index = 0; index < distribution.values.length; index++) {
    const value = cloudWatchValue(distribution.values[index]);
    const count = distribution.counts[index];
    if (value === undefined || !(count > 0 && count <= Number.MAX_SAFE_INTEGER)) {
      onDropped?.(series, Number.isFinite(distribution.values[index]) ? 'out_of_range' : 'non_finite');
      continue;
    }
    values.push(value);
    counts.push(count);
  }
  if (values.length === 0) return [];
  const chunks: string[] = [];
  let estimatedSum = 0;
  for (let start = 0; start < values.length; start += MAX_VALUES_PER_METRIC) {
    const end = Math.min(values.length, start + MAX_VALUES_PER_METRIC);
    const last = end === values.length;
    let count = 0;
    let sum = 0;
    for (let index = start; index < end; index++) {
      count += counts[index];
      sum += values[index] * counts[index];
    }
    if (last) sum = distribution.sum - estimatedSum;
    estimatedSum += sum;
    const min = start === 0 ? distribution.min : values[start];
    const max = last ? distribution.max : values[end - 1];
    chunks.push(
      `{"Values":${JSON.stringify(values.slice(start, end))},"Counts":${JSON.stringify(counts.slice(start, end))},` +
        `"Count":${count},"Sum":${finiteOr(sum, 0)},"Min":${finiteOr(min, values[start])},"Max":${finiteOr(max, values[end - 1])}}`,
    );
  }
  return chunks;
}

function finiteOr(value: number, fallback: number): number {
  return cloudWatchValue(value) ?? fallback;
}

/** First fit: each entry goes to the first document with room that does not define its name yet. */
function pack(group: Group): Document[] {
  const documents: Document[] = [];
  for (const entry of group.entries) {
    let target: Document | undefined;
    for (const document of documents) {
      if (
        document.definitions.length < MAX_METRICS_PER_DOCUMENT &&
        document.bytes + entry.bytes < MAX_DOCUMENT_BYTES &&
        !document.names.has(entry.name)
      ) {
        target = document;
        break;
      }
    }
    if (target === undefined) {
      target = { definitions: [], members: [], names: new Set(), bytes: group.frameBytes };
      documents.push(target);
    }
    target.definitions.push(entry.definition);
    target.members.push(entry.member);
    target.names.add(entry.name);
    target.bytes += entry.bytes;
  }
  return documents;
}

function render(group: Group, document: Document): string {
  const members = group.members === '' ? document.members : [group.members, ...document.members];
  return `${group.head}${document.definitions.join(',')}]}]},${members.join(',')}}`;
}
