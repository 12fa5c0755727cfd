/**
 * Text of the sandbox's journal: one line per event for the terminal, and the summary printed at
 * the end (what fired, who was notified when, what was acknowledged or silenced).
 */
import { ESCALATION_STATES } from '../domain/contracts/escalation';
import type { JournalEntry, Sandbox } from './types';

/** The escalation's endings, worth a line: its own end states, and Step Functions' failed or aborted execution. */
export const ESCALATION_ENDINGS: ReadonlySet<string> = new Set([
  ESCALATION_STATES.stopped,
  ESCALATION_STATES.complete,
  ESCALATION_STATES.failed,
  'ExecutionFailed',
  'ExecutionAborted',
]);

/** `+mm:ss` (or `+h:mm:ss`) of simulated time since the start. */
export function elapsed(at: number, start: number): string {
  const total = Math.max(0, Math.round((at - start) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `+${h}:${mm}:${ss}` : `+${mm}:${ss}`;
}

/** One terminal line for the entries worth a line (alarms into or out of ALARM, pages, acks, phases). */
export function describeEntry(entry: JournalEntry): string | undefined {
  switch (entry.kind) {
    case 'phase':
      return `phase: ${entry.phase} - ${entry.description}`;
    case 'alarm':
      if (entry.to !== 'ALARM' && entry.from !== 'ALARM') return undefined;
      return `alarm ${entry.alarm}: ${entry.from} -> ${entry.to}`;
    case 'routed':
      if (['ignored', 'duplicate', 'heartbeat'].includes(entry.outcome)) return undefined;
      // the log aggregator's alerts come one per matching line: only their pages are worth a line
      if (entry.source !== 'cloudwatch' && entry.outcome !== 'paged') return undefined;
      return `router: ${entry.alertName} ${entry.outcome}${entry.reason ? ` (${entry.reason})` : ''}`;
    case 'notification':
      return `${entry.channel} <- ${entry.notificationKind}${entry.levelName ? ` [${entry.levelName}]` : ''}: ${entry.summary}`;
    case 'ack':
      return `acknowledged ${entry.fingerprint.slice(0, 8)} by ${entry.by}`;
    case 'silence':
      return `silenced ${entry.matchers} until ${entry.endsAt} by ${entry.by}`;
    case 'escalation':
      return ESCALATION_ENDINGS.has(entry.state)
        ? `escalation ${entry.fingerprint.slice(0, 8)}: ${entry.state}`
        : undefined;
  }
}

/** The summary: what fired, who was notified when, what was acknowledged, and the counts. */
export function summaryLines(sandbox: Pick<Sandbox, 'journal' | 'received' | 'problems' | 'view' | 'clock'>): string[] {
  const start = sandbox.clock.settings.simStartMs;
  const journal = sandbox.journal();
  const out: string[] = ['', '=== sandbox summary ==='];
  const fired = journal.filter(
    (e): e is Extract<JournalEntry, { kind: 'alarm' }> => e.kind === 'alarm' && e.to === 'ALARM',
  );
  out.push(`What fired (${fired.length}):`);
  for (const e of fired) {
    const back = journal.find(
      (x): x is Extract<JournalEntry, { kind: 'alarm' }> =>
        x.kind === 'alarm' && x.alarm === e.alarm && x.from === 'ALARM' && x.at > e.at,
    );
    out.push(
      `  ${elapsed(e.at, start)}  ${e.alarm}${back ? `  (back to ${back.to} at ${elapsed(back.at, start)})` : '  (still in ALARM)'}`,
    );
  }
  const routedAlerts = journal.filter(
    (e): e is Extract<JournalEntry, { kind: 'routed' }> =>
      e.kind === 'routed' && e.source !== 'cloudwatch' && e.outcome !== 'duplicate',
  );
  if (routedAlerts.length > 0)
    out.push(`  and ${routedAlerts.length} alert event(s) from the log aggregator and other kit sources`);
  const notes = journal.filter((e): e is Extract<JournalEntry, { kind: 'notification' }> => e.kind === 'notification');
  out.push(`Who was notified when (${notes.length}):`);
  for (const n of notes) {
    out.push(
      `  ${elapsed(n.at, start)}  ${n.channel.padEnd(9)} ${n.notificationKind.padEnd(12)} ${n.alertName}${n.levelName ? ` [level ${n.level}: ${n.levelName}]` : ''}`,
    );
  }
  const acks = journal.filter((e) => e.kind === 'ack' || e.kind === 'silence');
  out.push(`What was acknowledged or silenced (${acks.length}):`);
  for (const a of acks) {
    if (a.kind === 'ack') out.push(`  ${elapsed(a.at, start)}  acknowledged ${a.fingerprint} by ${a.by}`);
    if (a.kind === 'silence')
      out.push(`  ${elapsed(a.at, start)}  silenced ${a.matchers} until ${a.endsAt} by ${a.by}`);
  }
  const stopped = journal.filter((e) => e.kind === 'escalation' && e.state === ESCALATION_STATES.stopped).length;
  const s = sandbox.view.stats();
  const r = sandbox.received();
  out.push(
    `Escalations stopped by an acknowledgement or resolution: ${stopped}`,
    `Receivers got: slack ${r.slack}, pagerduty ${r.pagerduty}, e-mail ${r.email}`,
    `Service: ${s.invocations} invocations (${s.serverErrors} answered 5xx, ${s.invocationErrors} function errors, ${s.coldStarts} cold starts after warm-up), ${s.logEvents} log events, ${s.emfDocuments} EMF documents, ${s.segments} X-Ray segments, ${s.deadLettered} dead letters`,
  );
  const problems = sandbox.problems();
  if (problems.length > 0) {
    out.push(`Problems (${problems.length}):`);
    for (const p of problems.slice(0, 10)) out.push(`  ${p}`);
  }
  return out;
}
