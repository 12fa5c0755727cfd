import fc from 'fast-check';
import {
  checkSamplingRates,
  DEFAULT_SAMPLING_RATES,
  LocalSampler,
  localSamplingRules,
  parseSamplingEnv,
  SAMPLING_PRIORITIES,
  samplingUrlPath,
} from '../../layers/instrumentation/tracer/sampling';
import { Tracer } from '../../layers/instrumentation/tracer/tracer';
import { samplingUrlPath as stackUrlPath } from '../../lib/sampling-rules';

// The SDK's own local sampler (CommonJS, no typings): it must accept and apply our rules document.
const SdkLocalSampler = require('aws-xray-sdk-core/dist/lib/middleware/sampling/local_sampler');

describe('sampling priorities', () => {
  it("are the MAIF monitoring guide's names with the guide's rates", () => {
    expect(SAMPLING_PRIORITIES).toEqual(['default', 'high_priority', 'background_tasks']);
    expect(DEFAULT_SAMPLING_RATES).toEqual({ default: 0.1, high_priority: 1, background_tasks: 0.01 });
  });

  it('use the URL path the stack sampling rules match on', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
    fc.assert(
      fc.property(word, word, (env, priority) =>
        expect(samplingUrlPath(env, priority)).toBe(stackUrlPath(env, priority)),
      ),
    );
  });
});

describe('localSamplingRules', () => {
  it('is a rules document the X-Ray SDK applies per priority', () => {
    SdkLocalSampler.setLocalRules(localSamplingRules('prod', { default: 0, high_priority: 1, background_tasks: 0 }, 0));
    const decide = (priority: string) =>
      Boolean(
        SdkLocalSampler.shouldSample({ host: 'maif', httpMethod: '*', urlPath: samplingUrlPath('prod', priority) }),
      );
    expect([decide('high_priority'), decide('background_tasks'), decide('default'), decide('unknown')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('LocalSampler', () => {
  it('takes the reservoir each second, then applies the rate', () => {
    const draws = [0.2, 0.7];
    const sampler = new LocalSampler({ default: 0.5 }, 2, () => draws.shift() ?? 0.99);
    const second = 1_700_000_000_000;
    const decisions = [1, 2, 3, 4, 5].map(() => sampler.shouldSample('default', second));
    expect(decisions).toEqual([true, true, true, false, false]);
    expect(sampler.shouldSample('default', second + 1000)).toBe(true);
  });

  it('gives a priority without a rate the default rate and turns a rate of 0 off entirely', () => {
    const sampler = new LocalSampler({ default: 0, high_priority: 1 }, 5, () => 0);
    expect(sampler.rateOf('custom')).toBe(0);
    expect(sampler.shouldSample('custom')).toBe(false);
    expect(sampler.shouldSample('high_priority')).toBe(true);
  });

  it('samples close to the configured rate without a reservoir', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sampler = new LocalSampler({ default: 0.1 }, 0, random);
    const taken = Array.from({ length: 20_000 }, () => sampler.shouldSample('default')).filter(Boolean).length;
    expect(taken / 20_000).toBeGreaterThan(0.09);
    expect(taken / 20_000).toBeLessThan(0.11);
  });
});

describe('rates', () => {
  it('name the field, the value and what is allowed', () => {
    expect(() => checkSamplingRates({ high_priority: 1 })).toThrow(
      "sampling: no 'default' rate (received 'high_priority')",
    );
    expect(() => checkSamplingRates({ default: 1.5 })).toThrow(
      'sampling.default: 1.5 is not a rate (use a number from 0 to 1)',
    );
    expect(() => checkSamplingRates({ default: 1, 'a b': 1 })).toThrow("sampling: 'a b' is not a priority name");
  });

  it('are read from MAIF_TRACE_SAMPLING as instrumentFunction writes it', () => {
    expect(parseSamplingEnv('{"default":0.2,"high_priority":1}')).toEqual({
      rates: { default: 0.2, high_priority: 1 },
    });
    expect(parseSamplingEnv('{"default":2}')).toEqual({
      problem: 'MAIF_TRACE_SAMPLING.default: 2 is not a rate (use a number from 0 to 1)',
    });
    expect(parseSamplingEnv('nope')).toEqual({ problem: "MAIF_TRACE_SAMPLING: 'nope' is not JSON" });
  });

  it('fall back to the defaults with one warning when MAIF_TRACE_SAMPLING is invalid', () => {
    const warnings: string[] = [];
    const tracer = new Tracer({ env: { MAIF_TRACE_SAMPLING: '{"default":2}' }, warn: (m) => warnings.push(m) });
    expect(tracer.sampling).toEqual(DEFAULT_SAMPLING_RATES);
    expect(warnings).toEqual([
      'Tracer: MAIF_TRACE_SAMPLING.default: 2 is not a rate (use a number from 0 to 1); using the default rates',
    ]);
  });

  it('take the options over the environment', () => {
    const tracer = new Tracer({
      sampling: { default: 1 },
      env: { MAIF_TRACE_SAMPLING: '{"default":0.5}', MAIF_SERVICE: 'maif' },
    });
    expect([tracer.sampling, tracer.service]).toEqual([{ default: 1 }, 'maif']);
  });
});
