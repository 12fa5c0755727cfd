import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { MAX_RULE_NAME_LENGTH, SamplingRules, samplingRuleName, samplingUrlPath } from '../../lib/sampling-rules';
import { resourcesOf } from './helpers';

// The X-Ray SDK's own rule loading and matching (CommonJS modules without typings).
const DaemonConfig = require('aws-xray-sdk-core/dist/lib/daemon_config');
const ServiceConnector = require('aws-xray-sdk-core/dist/lib/middleware/sampling/service_connector');
const RuleCache = require('aws-xray-sdk-core/dist/lib/middleware/sampling/rule_cache');

interface SdkRule {
  getName(): string;
  getRate(): number;
  getPriority(): number;
}

const SAMPLING = { default: 0.1, high_priority: 1, background_tasks: 0.01 } as const;

function rulesTemplate(sampling: Record<string, number> & { default: number }, service = 'maif', environment = 'prod') {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
  new SamplingRules(stack, 'Rules', { service, environment, sampling });
  return Template.fromStack(stack);
}

/** The rules as X-Ray's GetSamplingRules returns them (it reports `Attributes: {}` for none). */
function apiRecords(template: Template): unknown[] {
  return Object.values(resourcesOf(template, 'AWS::XRay::SamplingRule')).map((r) => ({
    SamplingRule: { Attributes: {}, ...(r.Properties?.SamplingRule as object) },
  }));
}

const X_RAY_DEFAULT_RULE = {
  SamplingRule: {
    RuleName: 'Default',
    Priority: 10000,
    FixedRate: 0.05,
    ReservoirSize: 1,
    ServiceName: '*',
    ServiceType: '*',
    Host: '*',
    HTTPMethod: '*',
    URLPath: '*',
    ResourceARN: '*',
    Attributes: {},
    Version: 1,
  },
};

describe('SamplingRules seen by the X-Ray SDK', () => {
  let server: Server;
  let records: unknown[] = [];
  let rules: SdkRule[];

  beforeAll(async () => {
    // A loopback stand-in for the X-Ray daemon's GetSamplingRules proxy, serving our template's rules.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ SamplingRuleRecords: records })));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    DaemonConfig.setDaemonAddress(`tcp:127.0.0.1:${port} udp:127.0.0.1:${port}`);
    records = [
      ...apiRecords(rulesTemplate(SAMPLING)),
      ...apiRecords(rulesTemplate({ default: 0.5 }, 'maif', 'dev')),
      X_RAY_DEFAULT_RULE,
    ];
    rules = await new Promise((done, fail) =>
      ServiceConnector.fetchSamplingRules((error: Error | null, fetched: SdkRule[]) =>
        error ? fail(error) : done(fetched),
      ),
    );
    RuleCache.loadRules(rules);
    RuleCache.timestamp(Math.floor(Date.now() / 1000)); // as the SDK's rule poller does after a fetch
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const match = (serviceName: string, urlPath: string): SdkRule =>
    RuleCache.getMatchedRule({ serviceName, urlPath }, Math.floor(Date.now() / 1000));

  it('accepts every rule (no attributes, resource ARN *, version 1)', () => {
    expect(rules.map((r) => r.getName()).sort()).toEqual([
      'Default',
      'maif-dev-default',
      'maif-prod-background_tasks',
      'maif-prod-default',
      'maif-prod-high_priority',
    ]);
  });

  it.each([
    ['high_priority', 'maif-prod-high_priority', 1],
    ['background_tasks', 'maif-prod-background_tasks', 0.01],
    ['default', 'maif-prod-default', 0.1],
    ['a priority without a rule', 'maif-prod-default', 0.1],
  ])('matches the tracer request for %s to %s at rate %s', (priority, name, rate) => {
    const rule = match('maif', samplingUrlPath('prod', priority));
    expect([rule.getName(), rule.getRate()]).toEqual([name, rate]);
  });

  it('keeps environments apart in a shared account', () => {
    expect(match('maif', samplingUrlPath('dev', 'high_priority')).getName()).toBe('maif-dev-default');
  });

  it('leaves other services and ordinary request paths to the rules that were there before', () => {
    expect(match('other', samplingUrlPath('prod', 'high_priority')).getName()).toBe('Default');
    expect(match('maif', '/api/search').getName()).toBe('Default');
  });
});

describe('SamplingRules', () => {
  it('gives each rule a unique priority, the default rule last', () => {
    const template = rulesTemplate(SAMPLING);
    const byPriority = Object.values(resourcesOf(template, 'AWS::XRay::SamplingRule'))
      .map((r) => r.Properties?.SamplingRule as { Priority: number; RuleName: string })
      .sort((a, b) => a.Priority - b.Priority);
    expect(byPriority.map((r) => [r.Priority, r.RuleName])).toEqual([
      [1000, 'maif-prod-background_tasks'],
      [1001, 'maif-prod-high_priority'],
      [1002, 'maif-prod-default'],
    ]);
  });

  it('rejects a configuration without a default rate', () => {
    const stack = new Stack(new App(), 'S');
    expect(
      () => new SamplingRules(stack, 'R', { service: 'maif', environment: 'prod', sampling: { high: 1 } as never }),
    ).toThrow("SamplingRules sampling: no 'default' rate (received 'high')");
  });

  it('rejects a rate above 1, naming the priority', () => {
    const stack = new Stack(new App(), 'S');
    expect(
      () =>
        new SamplingRules(stack, 'R', { service: 'maif', environment: 'prod', sampling: { default: 0.1, high: 2 } }),
    ).toThrow('SamplingRules sampling.high: 2 is not a rate (use a number from 0 to 1)');
  });
});

describe('samplingRuleName', () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,40}$/);

  it('is at most 32 characters of letters, digits, _ and -', () => {
    fc.assert(
      fc.property(word, word, word, (service, env, priority) => {
        const name = samplingRuleName(service, env, priority);
        expect(name.length).toBeLessThanOrEqual(MAX_RULE_NAME_LENGTH);
        expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
    );
  });

  it('keeps short names readable and whole', () => {
    expect(samplingRuleName('maif', 'staging', 'background_tasks')).toBe('maif-staging-background_tasks');
  });

  it('gives different long names different rule names', () => {
    fc.assert(
      fc.property(
        word,
        word,
        fc.tuple(word, word).filter(([a, b]) => a !== b),
        (service, env, [p1, p2]) => {
          expect(samplingRuleName(`${service}-long-service-name`, env, p1)).not.toBe(
            samplingRuleName(`${service}-long-service-name`, env, p2),
          );
        },
      ),
    );
  });
});
