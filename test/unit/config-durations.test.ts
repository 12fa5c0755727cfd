import fc from 'fast-check';
import {
  CLOUDWATCH_RETENTIONS,
  isDuration,
  isPercent,
  isSize,
  parseDuration,
  parsePercent,
  parseRetention,
  parseSize,
} from '../../layers/instrumentation/units';

const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const SIZE_BYTES = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 } as const;

describe('parseDuration', () => {
  it("reads the MAIF monitoring guide's durations", () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('100ms')).toBe(100);
  });

  it('multiplies any whole number by its unit', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.constantFrom(...(Object.keys(DURATION_MS) as (keyof typeof DURATION_MS)[])),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * DURATION_MS[unit]);
          expect(isDuration(`${n}${unit}`)).toBe(true);
        },
      ),
    );
  });

  it('rejects anything else with a RangeError that names the value and the accepted forms', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(text));
        expect(isDuration(text)).toBe(false);
        expect(() => parseDuration(text)).toThrow(RangeError);
      }),
    );
    expect(() => parseDuration('10x')).toThrow("'10x' is not a duration (use 30s, 5m, 1h)");
  });
});

describe('parseSize', () => {
  it('reads 100MB as binary megabytes', () => {
    expect(parseSize('100MB')).toBe(100 * 1024 * 1024);
    expect(parseSize('10 MiB')).toBe(10 * 1024 * 1024);
  });

  it('multiplies any whole number by its unit', () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.constantFrom(...(Object.keys(SIZE_BYTES) as (keyof typeof SIZE_BYTES)[])),
        (n, unit) => {
          expect(parseSize(`${n}${unit}`)).toBe(n * SIZE_BYTES[unit]);
        },
      ),
    );
  });

  it('rejects a size without a unit', () => {
    expect(isSize('100')).toBe(false);
    expect(() => parseSize('100')).toThrow("'100' is not a size (use 512KB, 100MB, 1GB)");
  });
});

describe('parsePercent', () => {
  it('returns percent points', () => {
    expect(parsePercent('80%')).toBe(80);
    expect(parsePercent('99.9%')).toBeCloseTo(99.9);
  });

  it('round-trips any number written with two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (hundredths) => {
        const text = `${(hundredths / 100).toFixed(2)}%`;
        expect(isPercent(text)).toBe(true);
        expect(parsePercent(text)).toBeCloseTo(hundredths / 100, 10);
      }),
    );
  });

  it('rejects a fraction without the percent sign', () => {
    expect(() => parsePercent('0.8')).toThrow("'0.8' is not a percentage (use 80%, 99.9%)");
  });
});

describe('parseRetention', () => {
  it('maps every named retention to the CloudWatch day count', () => {
    for (const [name, days] of Object.entries(CLOUDWATCH_RETENTIONS)) expect(parseRetention(name)).toBe(days);
  });

  it('accepts a day count only when CloudWatch offers it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), (days) => {
        const offered = (Object.values(CLOUDWATCH_RETENTIONS) as number[]).includes(days);
        if (offered) expect(parseRetention(`${days}d`)).toBe(days);
        else
          expect(() => parseRetention(`${days}d`)).toThrow(
            /is not a CloudWatch retention \(allowed: 1d, 3d, 5d, 1w, 2w, 1mo/,
          );
      }),
    );
  });
});
