/**
 * One local Lambda execution environment: a worker thread running bootstrap.ts with Lambda's
 * environment variables, its stdout and stderr read line by line as its log stream. It tells its
 * owner (lambda.ts) about each log line, each finished invocation and its own death.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { BootstrapData, ClockMessage, InvocationDone, InvokeMessage, ReadyMessage } from './protocol';
import { decodeLine } from './protocol';

export interface EnvironmentEvents {
  /** One line of the log stream; `at`: simulated ms it was written at, when the environment said. */
  line(message: string, at?: number): void;
  done(done: InvocationDone): void;
  /** The thread ended (exit code, and the uncaught error that ended it, if any); all output has been read. */
  exit(code: number, error: Error | undefined): void;
}

export interface EnvironmentOptions {
  readonly bootstrapPath: string;
  readonly data: BootstrapData;
  readonly env: Readonly<Record<string, string>>;
  readonly events: EnvironmentEvents;
}

/** How long to wait for a dead thread's last output before reporting its exit (real ms). */
const EXIT_DRAIN_MS = 200;

/** `YYYY/MM/DD/[$LATEST]<32 hex>`, as Lambda names a new environment's log stream. */
export function newLogStreamName(simNowMs: number): string {
  const day = new Date(simNowMs).toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

export class ExecutionEnvironment {
  readonly logStream: string;
  /** Resolves when the bundle is loaded (with its init error, if it failed); never rejects. */
  readonly ready: Promise<ReadyMessage>;
  readonly #worker: Worker;
  readonly #events: EnvironmentEvents;
  #dead = false;

  constructor(options: EnvironmentOptions) {
    this.logStream = options.data.logStream;
    this.#events = options.events;
    this.#worker = new Worker(options.bootstrapPath, {
      workerData: options.data,
      env: { ...options.env },
      stdout: true,
      stderr: true,
      // the function's memory size is its heap limit: going over it ends the environment, as in Lambda
      resourceLimits: { maxOldGenerationSizeMb: options.data.memoryMb },
    });
    const outputEnded = Promise.all([this.#readLines(this.#worker.stdout), this.#readLines(this.#worker.stderr)]);
    let exitError: Error | undefined;
    this.ready = new Promise((resolve) => {
      this.#worker.once('message', (message: ReadyMessage) => resolve(message));
      this.#worker.once('exit', () =>
        resolve({
          type: 'ready',
          initDurationMs: 0,
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: exitError?.message ?? 'the environment exited during init',
          },
        }),
      );
    });
    this.#worker.on('error', (error) => {
      exitError = error;
    });
    this.#worker.once('exit', (code) => {
      this.#dead = true;
      let reported = false;
      const report = () => {
        if (reported) return;
        reported = true;
        this.#events.exit(code, exitError);
      };
      void outputEnded.then(report);
      setTimeout(report, EXIT_DRAIN_MS).unref();
    });
  }

  get dead(): boolean {
    return this.#dead;
  }

  invoke(message: InvokeMessage): void {
    this.#worker.postMessage(message);
  }

  /** Moves the environment's simulated clock. */
  setClock(message: ClockMessage): void {
    if (!this.#dead) this.#worker.postMessage(message);
  }

  /** Ends the thread; resolves once it has exited. */
  async terminate(): Promise<void> {
    if (this.#dead) return;
    await this.#worker.terminate();
  }

  /** Reads `stream` line by line; resolves when it ends. */
  #readLines(stream: Readable): Promise<void> {
    // the time of the write being read: a write of several lines (an EMF flush) is stamped once
    const time = { at: undefined as number | undefined };
    return new Promise((resolve) => {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let from = 0;
        for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n', from)) {
          this.#handleLine(buffer.slice(from, newline), time);
          from = newline + 1;
        }
        buffer = buffer.slice(from);
      });
      const end = () => {
        if (buffer !== '') this.#handleLine(buffer, time);
        buffer = '';
        resolve();
      };
      stream.once('end', end);
      stream.once('close', end);
      stream.once('error', end);
    });
  }

  #handleLine(line: string, time: { at: number | undefined }): void {
    const { text, at, control } = decodeLine(line);
    if (at !== undefined) time.at = at;
    if (text !== undefined && text.trim() !== '') this.#events.line(text, time.at);
    if (control?.type === 'log') this.#events.line(control.message, control.at);
    else if (control?.type === 'done') this.#events.done(control);
  }
}
