/**
 * Which environment subscribes which log group, checked across every environment of a
 * configuration. Each environment's stack puts a CloudWatch Logs subscription filter on the log
 * groups it names, so that its own log aggregator receives them:
 *
 * - every exact name of `logging.logGroups` (one filter per name, however often it is listed);
 * - the host log group of every `logging.sources` entry, `/<service>/<environment>/hosts/<name>`,
 *   which the stack creates.
 *
 * Two environments subscribing one log group would each ingest the other's logs (dev reading
 * prod), and CloudWatch Logs takes at most 2 subscription filters on a log group, so a third
 * subscriber fails at deploy. Both are reported here, before anything is synthesized.
 *
 * Not checked, because they name no log group the stack subscribes by name:
 * - a name ending in `*` is a pattern: CloudFormation cannot expand it, so the stack subscribes
 *   nothing for it (the functions it matches are instrumented, each with its own log group,
 *   created per stack);
 * - a CDK token (`${Token[...]}`) has no value until deploy;
 * - the kit's own log groups (the aggregated log group, which the OpenSearch forwarder
 *   subscribes, and the kit functions' groups) get names CloudFormation generates per stack.
 *
 * Log groups belong to an account and a region: environments that set different `account`s or
 * `region`s never share one. An environment that sets neither deploys wherever the CLI points,
 * so it is compared with every other.
 */
import { hostLogGroupName } from '../logs/agent-config';
import { formatPath } from './errors';
import { at } from './problems';
import type { ObservabilityConfig, ResolvedConfig } from './schema';

/** CloudWatch Logs' quota: subscription filters on one log group. */
export const MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP = 2;

/** One subscription filter an environment's stack puts on a log group named in its configuration. */
export interface LogGroupSubscription {
  readonly logGroup: string;
  /** The setting that names it, e.g. `logging.logGroups[1]`, `environments.dev.logging.sources[0]`. */
  readonly field: string;
  /** For a host log group: the name of its `logging.sources` entry. */
  readonly hostSource?: string;
}

/** The log groups one environment subscribes, and where it deploys. */
export interface EnvironmentLogGroups {
  readonly environment: string;
  readonly account?: string;
  readonly region?: string;
  readonly subscriptions: readonly LogGroupSubscription[];
}

/** True for a name the stack subscribes as it is: not a pattern (`*`), not an unresolved CDK token. */
export function isLiteralLogGroupName(name: string): boolean {
  return name !== '' && !name.endsWith('*') && !name.includes('${Token[');
}

/**
 * The subscriptions `resolved` (one environment of `config`) makes, host log groups first, each
 * with the field that names it: the environment's overrides when they set the list (lists
 * replace), else the base.
 */
export function environmentLogGroups(config: ObservabilityConfig, resolved: ResolvedConfig): EnvironmentLogGroups {
  const env = resolved.environment;
  const overrides = at(at(at(config, 'environments'), env), 'logging');
  const field = (list: 'logGroups' | 'sources', index: number): string =>
    formatPath([...(at(overrides, list) !== undefined ? ['environments', env] : []), 'logging', list, index]);
  const subscriptions: LogGroupSubscription[] = [
    ...resolved.logging.sources.map((source, i) => ({
      logGroup: hostLogGroupName(resolved.service, env, source.name),
      field: field('sources', i),
      hostSource: source.name,
    })),
    ...resolved.logging.logGroups.map((logGroup, i) => ({ logGroup, field: field('logGroups', i) })),
  ];
  return {
    environment: env,
    ...(resolved.account !== undefined ? { account: resolved.account } : {}),
    ...(resolved.region !== undefined ? { region: resolved.region } : {}),
    subscriptions,
  };
}

/** Whether two environments may deploy to the same account and region (an unset one may be anywhere). */
function mayShare(a: EnvironmentLogGroups, b: EnvironmentLogGroups): boolean {
  const same = (x: string | undefined, y: string | undefined) => x === undefined || y === undefined || x === y;
  return same(a.account, b.account) && same(a.region, b.region);
}

/** Subscription filters one environment's stack puts on a group: one for all its by-name entries, one per host source. */
function filterCount(subscriptions: readonly LogGroupSubscription[]): number {
  const hosts = subscriptions.filter((s) => s.hostSource !== undefined).length;
  return hosts + (subscriptions.length > hosts ? 1 : 0);
}

/** `dev`, `dev and prod` -> `both dev and prod`, `dev, staging and prod`. */
function listNames(names: readonly string[]): string {
  if (names.length === 2) return `both ${names[0]} and ${names[1]}`;
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const describeSubscription = (s: LogGroupSubscription): string =>
  s.hostSource !== undefined ? `${s.field} (the host log group of ${s.hostSource})` : s.field;

const PER_ENVIRONMENT =
  'each environment needs its own log groups: name them per environment, e.g. with the environment in the name';

/** Environments of one log group that may share it, with their subscriptions to it. */
type Holder = { readonly env: EnvironmentLogGroups; readonly subscriptions: readonly LogGroupSubscription[] };

function sharedProblem(logGroup: string, holders: readonly Holder[]): string {
  const [first, ...rest] = holders.map((h) => ({ env: h.env.environment, sub: h.subscriptions[0] }));
  // Name the settings of the other environments when they are not the same field (a base list shared by all).
  const elsewhere = rest
    .filter((h) => h.sub.field !== first.sub.field)
    .map((h) => `${h.env}: ${describeSubscription(h.sub)}`);
  const filters = holders.reduce((sum, h) => sum + filterCount(h.subscriptions), 0);
  const limit =
    filters > MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP
      ? `: ${filters} subscription filters, and CloudWatch Logs allows at most ${MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP} on one log group`
      : '';
  const detail = [...elsewhere, PER_ENVIRONMENT].join('; ');
  return `${first.sub.field}: '${logGroup}' is subscribed by ${listNames(holders.map((h) => h.env.environment))}${limit} (${detail})`;
}

function duplicateProblem(env: string, first: LogGroupSubscription, again: LogGroupSubscription): string {
  if (first.hostSource !== undefined) {
    return `${again.field}: '${again.logGroup}' is subscribed twice by ${env} (it is the host log group of ${first.field} (${first.hostSource}), which the stack creates and subscribes; remove it from logging.logGroups)`;
  }
  return `${again.field}: '${again.logGroup}' is listed twice for ${env} (already ${first.field}; list each log group once)`;
}

/**
 * The problems of `environments` (in the configuration's order), one line each, `<field>:
 * <message>` as in a `ConfigError`: a log group listed twice by one environment, a log group
 * that two environments (which may deploy to the same account and region) subscribe, and the
 * subscription filters beyond CloudWatch Logs' 2 per log group that this makes.
 */
export function checkLogGroupSubscriptions(environments: readonly EnvironmentLogGroups[]): string[] {
  const problems: string[] = [];
  const byGroup = new Map<string, Holder[]>();
  for (const env of environments) {
    const mine = new Map<string, LogGroupSubscription[]>();
    for (const subscription of env.subscriptions) {
      if (!isLiteralLogGroupName(subscription.logGroup)) continue;
      const list = mine.get(subscription.logGroup);
      if (list === undefined) mine.set(subscription.logGroup, [subscription]);
      else {
        problems.push(duplicateProblem(env.environment, list[0], subscription));
        list.push(subscription);
      }
    }
    for (const [logGroup, subscriptions] of mine) {
      const holders = byGroup.get(logGroup);
      if (holders === undefined) byGroup.set(logGroup, [{ env, subscriptions }]);
      else holders.push({ env, subscriptions });
    }
  }

  for (const [logGroup, holders] of byGroup) {
    if (holders.length < 2) continue;
    const pairs: [Holder, Holder][] = [];
    holders.forEach((a, i) => {
      for (const b of holders.slice(i + 1)) if (mayShare(a.env, b.env)) pairs.push([a, b]);
    });
    if (pairs.length === 0) continue;
    // Usually every pair may share (no account or region set): one line names them all.
    if (pairs.length === (holders.length * (holders.length - 1)) / 2) problems.push(sharedProblem(logGroup, holders));
    else for (const pair of pairs) problems.push(sharedProblem(logGroup, pair));
  }
  return problems;
}

/** `checkLogGroupSubscriptions` over resolved environments of `config`. */
export function checkLogGroups(config: ObservabilityConfig, resolved: readonly ResolvedConfig[]): string[] {
  return checkLogGroupSubscriptions(resolved.map((r) => environmentLogGroups(config, r)));
}
