import { Logger } from '../../layers/instrumentation/logger';
// mulberry32, seeded: the statistical tests are reproducible.
import { seededRandom } from '../../sandbox/scenarios';

/** Runs `invocations` invocations that each call debug() once; returns how many DEBUG lines came out. */
function sampledInvocations(sampleRate: number, invocations: number, random: () => number, level = 'INFO' as const) {
  let debugLines = 0;
  const logger = new Logger({
    env: {},
    level,
    sampleRate,
    random,
    destination: (line) => {
      if (line.includes('"level":"DEBUG"')) debugLines++;
    },
  });
  for (let i = 0; i < invocations; i++) {
    logger.setInvocation({ requestId: `r-${i}` });
    logger.debug('cache_lookup', { i });
    logger.clearInvocation();
  }
  return debugLines;
}

// Normal approximation of the binomial: p +- z * sqrt(p (1 - p) / n), z = 3.2905 for 99.9 %.
const Z_999 = 3.2905;
const interval = (p: number, n: number) => {
  const half = Z_999 * Math.sqrt((p * (1 - p)) / n);
  return [(p - half) * n, (p + half) * n] as const;
};

describe('Logger debug sampling', () => {
  it.each([
    [0.01, 1],
    [0.01, 2],
    [0.1, 3],
    [0.5, 4],
  ])('samples %p of 100,000 invocations within the 99.9 %% binomial interval (seed %p)', (rate, seed) => {
    const n = 100_000;

    const hits = sampledInvocations(rate, n, seededRandom(seed));

    const [low, high] = interval(rate, n);
    expect(hits).toBeGreaterThanOrEqual(low);
    expect(hits).toBeLessThanOrEqual(high);
  });

  it('would reject the biased integer draw that turns 1 % into about 2 %', () => {
    // Powertools' draw: an integer 0..100 compared with <= 0.01 * 100, so both 0 and 1 pass (2 in 101).
    const random = seededRandom(7);
    const biased = () => (Math.floor(random() * 101) <= 1 ? 0 : 0.999);

    const hits = sampledInvocations(0.01, 100_000, biased);

    const [, high] = interval(0.01, 100_000);
    expect(hits).toBeGreaterThan(high);
  });

  it('never samples at rate 0 and always samples at rate 1', () => {
    const random = seededRandom(11);

    expect(sampledInvocations(0, 10_000, random)).toBe(0);
    expect(sampledInvocations(1, 10_000, random)).toBe(10_000);
  });

  it('never draws when the rate is 0', () => {
    let draws = 0;

    sampledInvocations(0, 100, () => {
      draws++;
      return 0;
    });

    expect(draws).toBe(0);
  });

  it('keeps DEBUG on for the whole sampled invocation and off after it', () => {
    const levels: string[] = [];
    const logger = new Logger({
      env: {},
      sampleRate: 0.5,
      random: () => 0.25,
      destination: (line) => levels.push(JSON.parse(line).level),
    });
    const child = logger.child({ component: 'db' });

    logger.setInvocation({ requestId: 'r' });
    expect(logger.debugSampled).toBe(true);
    logger.debug('one');
    child.debug('two');
    logger.clearInvocation();
    logger.debug('three');

    expect(levels).toEqual(['DEBUG', 'DEBUG']);
    expect(logger.debugSampled).toBe(false);
  });

  it('reads the rate from MAIF_DEBUG_SAMPLE_RATE and warns on a bad value', () => {
    const lines: string[] = [];
    const sampled = new Logger({ env: { MAIF_DEBUG_SAMPLE_RATE: '1' }, destination: (l) => lines.push(l) });
    sampled.setInvocation({});
    const bad = new Logger({ env: { MAIF_DEBUG_SAMPLE_RATE: '5%' }, destination: (l) => lines.push(l) });
    bad.setInvocation({});

    expect(sampled.debugSampled).toBe(true);
    expect(bad.debugSampled).toBe(false);
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['logger_config_invalid']);
  });
});
