import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { shortenWithHash } from '../domain/shorten';
import type { TraceSampling } from './instrument-function';

/**
 * The sampling contract between these rules and the tracer.
 *
 * The Node X-Ray SDK (aws-xray-sdk-core 3.x) matches a rule on service name, service type, host,
 * HTTP method and URL path only, and ignores any rule that has `Attributes` or a `ResourceARN`
 * other than `*`. So a priority cannot be matched through attributes or annotations; these rules
 * match a reserved URL path instead. When the tracer makes a sampling decision for a root span
 * it marks with `sampling_priority = <priority>`, it asks the SDK's sampler:
 *
 *   shouldSample({ serviceName: MAIF_SERVICE, urlPath: `/maif/sampling/${MAIF_ENVIRONMENT}/${priority}` })
 *
 * (host, httpMethod and serviceType left undefined: they match any rule). The environment in the
 * path keeps the rules of dev, staging and prod apart in a shared account. A priority without a
 * rule of its own falls to the `default` rule (`.../<environment>/*`, evaluated last).
 */
export const SAMPLING_URL_PREFIX = '/maif/sampling/' as const;
/** X-Ray's limit on a rule name. */
export const MAX_RULE_NAME_LENGTH = 32;
/** X-Ray evaluates rules from priority 1 up; 10000 is the built-in Default rule. */
export const MAX_RULE_PRIORITY = 9999;
/** The priority that catches everything the others do not. */
export const DEFAULT_PRIORITY = 'default' as const;

/** Rate (0 to 1) by priority; `default` is required. */
export type SamplingRates = TraceSampling;

export interface SamplingRulesProps {
  readonly service: string;
  readonly environment: string;
  readonly sampling: SamplingRates;
  /**
   * Traces per second recorded before the fixed rate applies, for each rule.
   * @default 1
   */
  readonly reservoirSize?: number;
  /**
   * Priority of the first rule; the others follow, `default` last.
   * @default 1000
   */
  readonly basePriority?: number;
}

/** The URL path the tracer passes to the sampler for `priority` (see SAMPLING_URL_PREFIX). */
export function samplingUrlPath(environment: string, priority: string): string {
  return `${SAMPLING_URL_PREFIX}${environment}/${priority}`;
}

/** `<service>-<environment>-<priority>`, cut to 32 characters with a hash suffix when longer. */
export function samplingRuleName(service: string, environment: string, priority: string): string {
  const full = `${service}-${environment}-${priority}`.replace(/[^A-Za-z0-9_-]/g, '-');
  return shortenWithHash(full, MAX_RULE_NAME_LENGTH, { hashLength: 6 });
}

/**
 * One X-Ray sampling rule per trace priority of the configuration (`tracing.sampling`), with its
 * fixed rate, on the service's name and the reserved URL path of that priority.
 */
export class SamplingRules extends Construct {
  /** Rules by priority name. */
  readonly rules: Readonly<Record<string, xray.CfnSamplingRule>>;

  constructor(scope: Construct, id: string, props: SamplingRulesProps) {
    super(scope, id);
    const reservoirSize = props.reservoirSize ?? 1;
    const basePriority = props.basePriority ?? 1000;
    if (!Number.isInteger(reservoirSize) || reservoirSize < 0) {
      throw new Error(`SamplingRules reservoirSize: ${reservoirSize} is not allowed (use a whole number, 0 or more)`);
    }
    const entries = Object.entries(props.sampling);
    if (!Object.hasOwn(props.sampling, DEFAULT_PRIORITY)) {
      throw new Error(
        `SamplingRules sampling: no 'default' rate (received ${entries.map(([k]) => `'${k}'`).join(', ') || 'none'})`,
      );
    }
    if (!Number.isInteger(basePriority) || basePriority < 1 || basePriority + entries.length - 1 > MAX_RULE_PRIORITY) {
      throw new Error(
        `SamplingRules basePriority: ${basePriority} is not allowed (use a whole number from 1 to ${MAX_RULE_PRIORITY - entries.length + 1})`,
      );
    }
    const ordered = [
      ...entries.filter(([name]) => name !== DEFAULT_PRIORITY).sort(([a], [b]) => a.localeCompare(b)),
      [DEFAULT_PRIORITY, props.sampling.default] as const,
    ];
    const names = new Map<string, string>();
    const rules: Record<string, xray.CfnSamplingRule> = {};
    ordered.forEach(([priority, rate], index) => {
      if (!/^[A-Za-z0-9_-]+$/.test(priority)) {
        throw new Error(`SamplingRules sampling: '${priority}' is not a priority name (letters, digits, _ and -)`);
      }
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
        throw new Error(`SamplingRules sampling.${priority}: ${String(rate)} is not a rate (use a number from 0 to 1)`);
      }
      const ruleName = samplingRuleName(props.service, props.environment, priority);
      const clash = names.get(ruleName);
      if (clash !== undefined) {
        throw new Error(`SamplingRules sampling.${priority}: rule name '${ruleName}' is already used by '${clash}'`);
      }
      names.set(ruleName, priority);
      rules[priority] = new xray.CfnSamplingRule(this, priority, {
        samplingRule: {
          ruleName,
          priority: basePriority + index,
          fixedRate: rate,
          reservoirSize,
          serviceName: props.service,
          serviceType: '*',
          host: '*',
          httpMethod: '*',
          urlPath: samplingUrlPath(props.environment, priority === DEFAULT_PRIORITY ? '*' : priority),
          resourceArn: '*',
          version: 1,
        },
      });
    });
    this.rules = rules;
  }
}
