/** Test helpers for reading EMF lines back. */

export interface Emitted {
  name: string;
  unit: string;
  labels: Record<string, string>;
  value: unknown;
}

/** Flattens EMF lines into one record per metric value (the `service` dimension left out). */
export function emitted(lines: string[]): Emitted[] {
  return lines.flatMap((line) => {
    const doc = JSON.parse(line);
    const cw = doc._aws.CloudWatchMetrics[0];
    const dims: string[] = cw.Dimensions[0].filter((d: string) => d !== 'service');
    const labels = Object.fromEntries(dims.map((d) => [d, doc[d]]));
    return cw.Metrics.map((m: { Name: string; Unit: string }) => ({
      name: m.Name,
      unit: m.Unit,
      labels,
      value: doc[m.Name],
    }));
  });
}
