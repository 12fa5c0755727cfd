/**
 * Checks that span several fields, run on the merged (not yet parsed) configuration so that
 * they report even when the schema found problems elsewhere: cross references, unique names,
 * limits between two settings, and secret values that must live in Secrets Manager instead.
 * Every read is defensive: the input has not been validated yet.
 */

import { isDuration, isPercent, parseDuration, parsePercent, show } from '../../layers/instrumentation/units';
import { isRecord } from '../records';
import { checkAlertPipeline } from './alerting-checks';
import { formatPath } from './errors';
import { at, type IssuePath, items, keysOf, type Problem } from './problems';
import { LIMITS } from './schema';

const allowedList = (keys: readonly string[]) => (keys.length > 0 ? `allowed: ${keys.join(', ')}` : 'none is defined');

const SLACK_WEBHOOK_RE = /^https?:\/\/hooks\.slack\.com\//i;
/** PagerDuty integration and routing keys are 32 characters of letters and digits. */
const PAGERDUTY_KEY_RE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_+-]{32}$/;

function uniqueNames(list: unknown, path: IssuePath, field: string, problems: Problem[]): void {
  const seen = new Map<string, number>();
  items(list).forEach((item, i) => {
    const value = at(item, field);
    if (typeof value !== 'string') return;
    const first = seen.get(value);
    if (first === undefined) seen.set(value, i);
    else
      problems.push({
        path: [...path, i, field],
        message: `${show(value)} is not unique (already used by ${formatPath([...path, first, field])})`,
      });
  });
}

function checkReferences(config: unknown, problems: Problem[]): void {
  const logging = at(config, 'logging');
  const tables = keysOf(at(logging, 'lookupTables'));
  items(at(logging, 'processingRules')).forEach((rule, i) => {
    const table = at(rule, 'table');
    if (at(rule, 'action') === 'enrich' && typeof table === 'string' && !tables.includes(table)) {
      problems.push({
        path: ['logging', 'processingRules', i, 'table'],
        message: `${show(table)} is not a table of logging.lookupTables (${allowedList(tables)})`,
      });
    }
  });

  const alerting = at(config, 'alerting');
  const channels = keysOf(at(alerting, 'channels'));
  items(at(alerting, 'routing')).forEach((route, i) => {
    items(at(route, 'actions')).forEach((action, j) => {
      if (at(action, 'type') !== 'notify') return;
      items(at(action, 'channels')).forEach((channel, k) => {
        if (typeof channel === 'string' && !channels.includes(channel)) {
          problems.push({
            path: ['alerting', 'routing', i, 'actions', j, 'channels', k],
            message: `${show(channel)} is not a channel of alerting.channels (${allowedList(channels)})`,
          });
        }
      });
    });
  });
}

function checkUniqueness(config: unknown, problems: Problem[]): void {
  const logging = at(config, 'logging');
  const alerting = at(config, 'alerting');
  uniqueNames(at(logging, 'sources'), ['logging', 'sources'], 'name', problems);
  uniqueNames(at(logging, 'processingRules'), ['logging', 'processingRules'], 'name', problems);
  uniqueNames(at(at(config, 'healthChecks'), 'targets'), ['healthChecks', 'targets'], 'name', problems);
  uniqueNames(at(config, 'dashboards'), ['dashboards'], 'title', problems);
  uniqueNames(at(alerting, 'rules'), ['alerting', 'rules'], 'name', problems);
  uniqueNames(at(alerting, 'suppression'), ['alerting', 'suppression'], 'name', problems);
  uniqueNames(at(alerting, 'slos'), ['alerting', 'slos'], 'name', problems);
  uniqueNames(at(at(config, 'metrics'), 'custom'), ['metrics', 'custom'], 'name', problems);
}

function checkLimits(config: unknown, problems: Problem[]): void {
  const cardinality = at(at(config, 'metrics'), 'cardinality');
  const max = at(cardinality, 'maxSeriesPerMetric');
  const warn = at(cardinality, 'cardinalityWarningThreshold');
  if (typeof max === 'number' && typeof warn === 'number' && warn > max) {
    problems.push({
      path: ['metrics', 'cardinality', 'cardinalityWarningThreshold'],
      message: `${warn} is not at most metrics.cardinality.maxSeriesPerMetric (${max})`,
    });
  }

  const health = at(config, 'healthChecks');
  const schedule = at(health, 'schedule');
  let scheduleMs: number | undefined;
  if (isDuration(schedule)) {
    scheduleMs = parseDuration(schedule);
    if (scheduleMs < LIMITS.MIN_SCHEDULE_MS || scheduleMs % LIMITS.MIN_SCHEDULE_MS !== 0) {
      problems.push({
        path: ['healthChecks', 'schedule'],
        message: `${show(schedule)} is not a schedule EventBridge accepts (whole minutes, at least 1m)`,
      });
    }
  }
  items(at(health, 'targets')).forEach((target, i) => {
    const timeout = at(target, 'timeout');
    if (!isDuration(timeout)) return;
    const ms = parseDuration(timeout);
    const limit = Math.min(LIMITS.MAX_PROBE_TIMEOUT_MS, scheduleMs ?? Number.POSITIVE_INFINITY);
    if (ms <= 0 || ms > limit) {
      problems.push({
        path: ['healthChecks', 'targets', i, 'timeout'],
        message: `${show(timeout)} is not a probe timeout (more than 0 and at most ${limit / 1000}s: the probe's own limit and the schedule)`,
      });
    }
  });

  items(at(at(config, 'alerting'), 'slos')).forEach((slo, i) => {
    const objective = at(slo, 'objective');
    if (isPercent(objective)) {
      const p = parsePercent(objective);
      if (p <= 0 || p >= 100) {
        problems.push({
          path: ['alerting', 'slos', i, 'objective'],
          message: `${show(objective)} is not an SLO objective (more than 0% and less than 100%, e.g. 99.9%)`,
        });
      }
    }
    if (at(slo, 'sli') === 'latency' && at(slo, 'latencyThreshold') === undefined) {
      problems.push({
        path: ['alerting', 'slos', i, 'latencyThreshold'],
        message: 'undefined is not a duration (a latency SLO needs latencyThreshold, e.g. 2s)',
      });
    }
  });
}

function checkSecrets(value: unknown, path: IssuePath, inChannels: boolean, problems: Problem[]): void {
  if (typeof value === 'string') {
    if (SLACK_WEBHOOK_RE.test(value)) {
      problems.push({
        path,
        secret: true,
        message:
          "'https://hooks.slack.com/...' is not allowed here: it is a secret value (store the webhook URL in Secrets Manager and name the secret, e.g. alerting.channels.slack.webhookSecret: 'maif/slack-webhook')",
      });
    } else if (inChannels && PAGERDUTY_KEY_RE.test(value)) {
      problems.push({
        path,
        secret: true,
        message: `'${value.slice(0, 4)}...' (32 characters) is not allowed here: it looks like a PagerDuty key, a secret value (store it in Secrets Manager and name the secret, e.g. alerting.channels.pagerduty.routingKeySecret: 'maif/pagerduty')`,
      });
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkSecrets(item, [...path, i], inChannels, problems);
    });
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const channels = inChannels || (path.length === 1 && path[0] === 'alerting' && key === 'channels');
    checkSecrets(child, [...path, key], channels, problems);
  }
}

/** Every cross-field problem of a merged configuration, in a stable order. */
export function crossCheck(config: unknown): Problem[] {
  const problems: Problem[] = [];
  checkReferences(config, problems);
  checkUniqueness(config, problems);
  checkLimits(config, problems);
  checkSecrets(config, [], false, problems);
  checkAlertPipeline(config, problems);
  return problems;
}
