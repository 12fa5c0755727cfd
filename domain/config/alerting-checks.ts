/**
 * Cross-field checks of the alert pipeline's settings: escalation targets and the
 * channels they name, the business-hours calendar and maintenance windows. Defensive reads: the
 * input has not been validated yet.
 */

import { show } from '../../layers/instrumentation/units';
import { isRecord } from '../records';
import { at, type IssuePath, items, keysOf, type Problem } from './problems';

const allowed = (keys: readonly string[]) => (keys.length > 0 ? `allowed: ${keys.join(', ')}` : 'none is defined');
const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function checkAlertPipeline(config: unknown, problems: Problem[]): void {
  const alerting = at(config, 'alerting');
  const channels = keysOf(at(alerting, 'channels'));
  const targets = at(alerting, 'escalationTargets');

  for (const [target, spec] of Object.entries(isRecord(targets) ? targets : {})) {
    items(at(spec, 'channels')).forEach((channel, k) => {
      if (typeof channel === 'string' && !channels.includes(channel)) {
        problems.push({
          path: ['alerting', 'escalationTargets', target, 'channels', k],
          message: `${show(channel)} is not a channel of alerting.channels (${allowed(channels)})`,
        });
      }
    });
  }

  const reachable = [...keysOf(targets), ...channels];
  items(at(alerting, 'routing')).forEach((route, i) => {
    items(at(route, 'actions')).forEach((action, j) => {
      const to = at(action, 'to');
      if (at(action, 'type') === 'escalate' && typeof to === 'string' && !reachable.includes(to)) {
        problems.push({
          path: ['alerting', 'routing', i, 'actions', j, 'to'],
          message: `${show(to)} is not an escalation target of alerting.escalationTargets or a channel (${allowed(reachable)})`,
        });
      }
    });
  });

  // escalation: false drops escalate actions; a rule left with only those would page nobody
  if (at(alerting, 'escalation') === false) {
    items(at(alerting, 'routing')).forEach((route, i) => {
      const types = items(at(route, 'actions')).map((action) => at(action, 'type'));
      if (types.includes('escalate') && !types.includes('notify')) {
        problems.push({
          path: ['alerting', 'routing', i, 'actions'],
          message:
            'has escalate actions and no notify action, so it notifies nobody while alerting.escalation is false (add a notify action, or set alerting.escalation: true)',
        });
      }
    });
  }

  const hours = at(alerting, 'businessHours');
  const start = at(hours, 'start');
  const end = at(hours, 'end');
  if (typeof start === 'string' && typeof end === 'string' && HHMM_RE.test(start) && HHMM_RE.test(end)) {
    if (minutes(end) <= minutes(start)) {
      problems.push({
        path: ['alerting', 'businessHours', 'end'],
        message: `${show(end)} is not after businessHours.start ${show(start)} (business hours end the day they start)`,
      });
    }
  }

  items(at(alerting, 'maintenance')).forEach((window, i) => {
    const path: IssuePath = ['alerting', 'maintenance', i, 'endsAt'];
    const from = Date.parse(String(at(window, 'startsAt')));
    const to = at(window, 'endsAt');
    if (Number.isFinite(from) && typeof to === 'string' && Number.isFinite(Date.parse(to)) && Date.parse(to) <= from) {
      problems.push({ path, message: `${show(to)} is not after startsAt ${show(at(window, 'startsAt'))}` });
    }
  });
}
