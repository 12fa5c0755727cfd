/**
 * CloudWatch's alarms: the alarms the stack deploys, evaluated against the metric store on the
 * simulated clock; each state change is journaled and sent to the router as EventBridge would.
 */
import { compileAlerting } from '../../domain/rules/alarms';
import { AlarmLoop } from '../alarms';
import { ACCOUNT, REGION, type Setup, type StageContext } from './context';
import type { RouterInbox } from './router';

/** How often the alarms are evaluated (real ms): each alarm only at its own period boundaries. */
const ALARM_TICK_MS = 100;

/** The alarms of the configuration, not evaluated yet (the page lists them from the start). */
export function createAlarms(setup: Setup): AlarmLoop {
  const { specs, composites } = compileAlerting(setup.config);
  return new AlarmLoop({ specs, composites, store: setup.store, region: REGION, account: ACCOUNT });
}

/** Evaluates the alarms every ALARM_TICK_MS until the sandbox stops. */
export function runAlarms(ctx: StageContext, alarms: AlarmLoop, inbox: RouterInbox): void {
  const { clock } = ctx.setup;
  if (alarms.skipped.length > 0) {
    ctx.records.status(
      `alarms not evaluated here: ${alarms.skipped.join(', ')} (anomaly detection has no local model)`,
    );
  }
  ctx.lifecycle.every(ALARM_TICK_MS, () => {
    for (const change of alarms.tick(clock.now())) {
      ctx.records.record({
        kind: 'alarm',
        at: change.at,
        alarm: change.alarmName,
        rule: change.ruleName,
        from: change.from,
        to: change.to,
        reason: change.reason,
      });
      inbox.send(change.event);
    }
  });
}
