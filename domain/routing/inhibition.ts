/**
 * Inhibition (Alertmanager's inhibit_rules): a firing alert matching a rule's `source` mutes
 * alerts matching its `target` when both carry the same values of the `equal` labels, e.g. a
 * critical "system down" mutes the latency warnings of the same service it explains.
 */

import type { Alert } from '../contracts/alert';
import type { AlertRecord } from '../contracts/alert-state';
import type { BusinessHours } from './calendar';
import { alertResolver, type CompiledRouter, type RouteFacts } from './routing';

/** The fingerprint of the first firing alert that inhibits `alert`, if any. */
export function inhibitedBy(
  alert: Alert,
  active: readonly Pick<AlertRecord, 'fingerprint' | 'status' | 'alertName' | 'severity' | 'labels'>[],
  router: Pick<CompiledRouter, 'inhibition'>,
  facts: RouteFacts,
  businessHours: BusinessHours,
): string | undefined {
  if (router.inhibition.length === 0) return undefined;
  const target = alertResolver(alert, facts, businessHours);
  for (const rule of router.inhibition) {
    if (!rule.target(target)) continue;
    for (const source of active) {
      if (source.fingerprint === alert.fingerprint || source.status === 'resolved') continue;
      if (!rule.source(alertResolver(source, facts, businessHours))) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (alert.labels[name] ?? '')))
        return source.fingerprint;
    }
  }
  return undefined;
}
