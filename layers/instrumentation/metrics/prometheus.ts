/**
 * `renderPrometheus`: the Prometheus text exposition format (version 0.0.4) of instruments'
 * cumulative values, for users who scrape instead of (or beside) writing EMF.
 */
import type { Instrument } from './instruments';
import type { SeriesBase } from './series';

const INVALID_LABEL_CHARACTERS = /[^a-zA-Z0-9_]/g;

/** A label name Prometheus accepts: invalid characters become '_', a leading digit gets a '_'. */
export function prometheusLabelName(name: string): string {
  const clean = name.replace(INVALID_LABEL_CHARACTERS, '_');
  return /^[0-9]/.test(clean) || clean === '' ? `_${clean}` : clean;
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: Prometheus spells the special values NaN, +Inf and -Inf. */
export function formatSample(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function labelText(series: SeriesBase, extra?: string): string {
  const parts: string[] = [];
  for (const name in series.dimensions) {
    parts.push(`${prometheusLabelName(name)}="${escapeLabelValue(series.dimensions[name])}"`);
  }
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The exposition of `instruments`, ending with a line feed (empty string when there are none). */
export function renderPrometheus(instruments: Iterable<Instrument>): string {
  const lines: string[] = [];
  for (const instrument of instruments) {
    const { name, kind, description, buckets, quantiles } = instrument.definition;
    if (description !== '') lines.push(`# HELP ${name} ${escapeHelp(description)}`);
    lines.push(`# TYPE ${name} ${kind}`);
    instrument.expose((series, exposed) => {
      switch (exposed.kind) {
        case 'counter':
        case 'gauge':
          lines.push(`${name}${labelText(series)} ${formatSample(exposed.value)}`);
          return;
        case 'histogram': {
          let cumulative = 0;
          for (let index = 0; index < buckets.length; index++) {
            cumulative += exposed.bucketCounts[index];
            lines.push(`${name}_bucket${labelText(series, `le="${formatSample(buckets[index])}"`)} ${cumulative}`);
          }
          lines.push(`${name}_bucket${labelText(series, 'le="+Inf"')} ${exposed.count}`);
          break;
        }
        case 'summary':
          for (let index = 0; index < quantiles.length; index++) {
            const label = `quantile="${formatSample(quantiles[index])}"`;
            lines.push(`${name}${labelText(series, label)} ${formatSample(exposed.quantiles[index])}`);
          }
          break;
      }
      lines.push(`${name}_sum${labelText(series)} ${formatSample(exposed.sum)}`);
      lines.push(`${name}_count${labelText(series)} ${exposed.count}`);
    });
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
