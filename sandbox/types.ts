/**
 * Contracts between the sandbox's parts: the emulators, the demo service's runtime, the
 * pipeline that joins them, the web page, and what the CLI and the summary read of a running
 * sandbox. Times named `at` are simulated epoch ms (see clock.ts); `realAt` is wall-clock epoch ms.
 */

import type { Alert, NotificationKind } from '../domain/contracts/alert';
import type { Matcher } from '../domain/contracts/alert-state';
import type { ChannelName } from '../domain/contracts/channels';
import type { CompiledDashboard } from '../domain/dashboards/model';
import type { MetricStore } from '../domain/evaluator/store';
import type { FunctionUrlEvent, FunctionUrlResult } from '../lambdas/ack-api/http';
import type { ClockSettings, SimClock } from './clock';

/** One thing that happened, in the order it happened: the page's timelines and the summary read these. */
export type JournalEntry =
  | { readonly kind: 'phase'; readonly at: number; readonly phase: string; readonly description: string }
  | {
      readonly kind: 'alarm';
      readonly at: number;
      /** The CloudWatch alarm name (as the stack names it). */
      readonly alarm: string;
      /** The alert rule behind it. */
      readonly rule: string;
      readonly from: string;
      readonly to: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'routed';
      readonly at: number;
      readonly alertName: string;
      readonly fingerprint?: string;
      readonly outcome: string;
      readonly episode?: number;
      readonly reason?: string;
      readonly source: string;
    }
  | {
      readonly kind: 'escalation';
      readonly at: number;
      /** Execution name (`${fingerprint}-${episode}`). */
      readonly execution: string;
      readonly fingerprint: string;
      /** The state entered, by its name in the synthesized definition (ESCALATION_STATES). */
      readonly state: string;
      readonly detail?: string;
    }
  | {
      readonly kind: 'notification';
      readonly at: number;
      readonly channel: ChannelName;
      readonly fingerprint: string;
      readonly alertName: string;
      readonly notificationKind: NotificationKind;
      readonly level?: number;
      readonly levelName?: string;
      /** Where the receiver got it: the Slack text, the PagerDuty event action, the e-mail subject. */
      readonly summary: string;
    }
  | { readonly kind: 'ack'; readonly at: number; readonly fingerprint: string; readonly by: string }
  | {
      readonly kind: 'silence';
      readonly at: number;
      readonly id: string;
      /** The matchers as text (`name="value"`, `name=~"regex"`), for display. */
      readonly matchers: string;
      /** The matchers as the ack API stored them: what alerts are matched against. */
      readonly labelMatchers: readonly Matcher[];
      readonly by: string;
      readonly endsAt: string;
    };

/** What a silence's matchers see of an alert (domain/routing/silences.ts). */
export type MatchableAlert = Pick<Alert, 'alertName' | 'severity' | 'labels'>;

/** A trace as the X-Ray receiver assembled it from the segments it got. */
export interface TraceSummary {
  readonly traceId: string;
  /** Name of the root segment (the function), or of the first segment seen. */
  readonly name: string;
  readonly startTime: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly fault: boolean;
  readonly annotations: Readonly<Record<string, unknown>>;
  readonly segments: readonly {
    readonly id: string;
    readonly parentId?: string;
    readonly name: string;
    readonly startTime: number;
    readonly endTime?: number;
    readonly error?: boolean;
    readonly fault?: boolean;
  }[];
}

/** Counters shown on the progress line and the page. */
export interface SandboxStats {
  readonly invocations: number;
  /** Function errors: the handler threw or timed out (Lambda's Errors metric). */
  readonly invocationErrors: number;
  /** Invocations that answered an HTTP 5xx (a success for Lambda, an error for the caller). */
  readonly serverErrors: number;
  readonly coldStarts: number;
  readonly logEvents: number;
  readonly emfDocuments: number;
  readonly aggregatorBatches: number;
  readonly deadLettered: number;
  readonly segments: number;
  readonly alarmsInAlarm: number;
  readonly notifications: number;
}

/** What the web server reads of a running sandbox, and the real ack API it forwards to. */
export interface SandboxView {
  readonly service: string;
  readonly environment: string;
  readonly scenario: { readonly name: string; readonly description: string; readonly durationMs: number };
  readonly clock: ClockSettings;
  /** Simulated epoch ms now. */
  now(): number;
  /** The phase running now ('' before the first and after the last). */
  phase(): string;
  /** True once the scenario's workload has finished (the page stays up). */
  finished(): boolean;
  stats(): SandboxStats;
  journal(): readonly JournalEntry[];
  traces(): readonly TraceSummary[];
  /** Alarm name -> current state, with its rule and severity. */
  alarms(): readonly {
    readonly alarm: string;
    readonly rule: string;
    readonly severity: string;
    readonly state: string;
  }[];
  /** The alerts the router has stored, by fingerprint. */
  alerts(): ReadonlyMap<string, MatchableAlert>;
  /** The last forwarded events of the aggregated log group (newest last). */
  recentLogs(): readonly string[];
  /** The same dashboards the stack deploys, compiled from the configuration. */
  readonly dashboards: readonly CompiledDashboard[];
  /** EMF from the service and the collectors, as CloudWatch would have extracted it. */
  readonly metrics: MetricStore;
  /** The real ack API handler, as its AWS_IAM Function URL would call it. */
  ackApi(event: FunctionUrlEvent): Promise<FunctionUrlResult>;
}

export interface SandboxOptions {
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** @default 'observability.config.ts' */
  readonly configFile?: string;
  /** @default - the configuration's first environment */
  readonly environment?: string;
  /** @default 'incident' */
  readonly scenario?: string;
  /** Simulated seconds per real second. @default 60 */
  readonly speed?: number;
  /** Simulated start time (epoch ms). @default now */
  readonly start?: number;
  /** Port of the web page on 127.0.0.1 (0 = any free port). @default 8088 */
  readonly port?: number;
  /** Seed of the workload's random jitter. @default 1 */
  readonly seed?: number;
  /** Status lines (startup steps, problems). @default - none */
  readonly log?: (line: string) => void;
  /** Called as soon as the page listens (before the pipeline is up). */
  readonly onUrl?: (url: string) => void;
}

/** A running sandbox, as startSandbox returns it. */
export interface Sandbox {
  readonly url: string;
  readonly view: SandboxView;
  readonly clock: SimClock;
  /** Resolves once the alert pipeline (table, state machine, channels) is up. */
  readonly pipelineReady: Promise<void>;
  /** Resolves when the scenario's workload has ended and the pipeline has settled. */
  readonly finished: Promise<void>;
  journal(): readonly JournalEntry[];
  /** Receipts at the loopback receivers, by channel. */
  received(): Record<ChannelName, number>;
  /** Problems met while running (a failed delivery, a router error): none in a healthy run. */
  problems(): readonly string[];
  stop(): Promise<void>;
}
