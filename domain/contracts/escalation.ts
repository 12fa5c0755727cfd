/**
 * State names of the escalation state machine: a contract (tests run the synthesized
 * definition with local handlers keyed by these names; the watchdog reads the failure state).
 */
export const ESCALATION_STATES = {
  start: 'Start escalation',
  wait: 'Wait for level',
  check: 'Check acknowledgement',
  stillOpen: 'Still unacknowledged?',
  notify: 'Notify level',
  more: 'More levels?',
  next: 'Next level',
  stopped: 'Stopped: acknowledged or resolved',
  complete: 'Escalation complete',
  failed: 'Escalation failed',
} as const;

/** Error name of the failure state (the watchdog alarms on failed executions). */
export const ESCALATION_FAILED_ERROR = 'MAIF.EscalationFailed';
