/** Domain matchers registered once for every test file. */

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  [key: string]: unknown;
}

function parseEmf(line: string): EmfDocument | undefined {
  try {
    const doc = JSON.parse(line) as EmfDocument;
    return doc?._aws?.CloudWatchMetrics ? doc : undefined;
  } catch {
    return undefined;
  }
}

expect.extend({
  /** Passes when some line of `lines` is an EMF document defining metric `name` (optionally in `namespace`). */
  toHaveEmittedEMF(lines: string[], name: string, namespace?: string) {
    const docs = lines.map(parseEmf).filter((d): d is EmfDocument => d !== undefined);
    const hit = docs.some((d) =>
      d._aws.CloudWatchMetrics.some(
        (cw) => (namespace === undefined || cw.Namespace === namespace) && cw.Metrics.some((m) => m.Name === name),
      ),
    );
    return {
      pass: hit,
      message: () =>
        `expected ${this.isNot ? 'no' : 'an'} EMF document defining '${name}'${namespace ? ` in ${namespace}` : ''}; got ${docs.length} EMF documents`,
    };
  },
});

declare global {
  namespace jest {
    interface Matchers<R> {
      toHaveEmittedEMF(name: string, namespace?: string): R;
    }
  }
}

export {};
