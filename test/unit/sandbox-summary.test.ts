/**
 * The sandbox's terminal lines for the escalation: one for each way an escalation ends, none for
 * its steps (the web page shows those).
 */
import { ESCALATION_STATES } from '../../domain/contracts/escalation';
import { describeEntry } from '../../sandbox/summary';
import type { JournalEntry } from '../../sandbox/types';

const escalation = (state: string): JournalEntry => ({
  kind: 'escalation',
  at: 0,
  execution: 'abcdef0123456789-1',
  fingerprint: 'abcdef0123456789',
  state,
});

describe('describeEntry for the escalation', () => {
  it.each([
    ESCALATION_STATES.stopped,
    ESCALATION_STATES.complete,
    ESCALATION_STATES.failed,
    'ExecutionFailed',
    'ExecutionAborted',
  ])('gives the ending %p a line', (state) => {
    expect(describeEntry(escalation(state))).toBe(`escalation abcdef01: ${state}`);
  });

  it.each([ESCALATION_STATES.wait, ESCALATION_STATES.check, ESCALATION_STATES.notify])(
    'gives the step %p no line',
    (state) => {
      expect(describeEntry(escalation(state))).toBeUndefined();
    },
  );
});
