/**
 * fauxqs (SNS + SQS emulator) in its own Node process: it ships ES modules only, which jest's
 * CommonJS runtime cannot load. Creates the named queues and, per channel, a topic `maif-<c>`
 * fanned out (raw delivery) to a queue `maif-<c>-q`; resolves once it listens on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface FauxqsOptions {
  readonly region?: string;
  /** Plain queues to create, by name. */
  readonly queues?: readonly string[];
  /** Channels: one topic and one subscribed queue each. */
  readonly channels?: readonly string[];
}

export interface FauxqsProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** queue name -> URL, for `options.queues` */
  readonly queueUrls: Record<string, string>;
  /** channel -> topic ARN */
  readonly topics: Record<string, string>;
  /** channel -> URL of the queue subscribed to its topic */
  readonly queues: Record<string, string>;
  stop(): void;
}

export async function startFauxqsProcess(options: FauxqsOptions = {}): Promise<FauxqsProcess> {
  const region = options.region === undefined ? '' : `, defaultRegion: ${JSON.stringify(options.region)}`;
  const script = [
    "import { startFauxqs } from 'fauxqs';",
    `const server = await startFauxqs({ port: 0, logger: false${region} });`,
    'const queueUrls = {}; const topics = {}; const queues = {};',
    `for (const q of ${JSON.stringify(options.queues ?? [])}) queueUrls[q] = server.createQueue(q).queueUrl;`,
    `for (const c of ${JSON.stringify(options.channels ?? [])}) {`,
    "  topics[c] = server.createTopic('maif-' + c).topicArn;",
    "  queues[c] = server.createQueue('maif-' + c + '-q').queueUrl;",
    "  server.subscribe({ topic: 'maif-' + c, queue: 'maif-' + c + '-q', attributes: { RawMessageDelivery: 'true' } });",
    '}',
    'process.stdout.write(JSON.stringify({ address: server.address, queueUrls, topics, queues }) + "\\n");',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fauxqs exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  const info = JSON.parse(first) as Omit<FauxqsProcess, 'child' | 'stop'>;
  return {
    child,
    ...info,
    stop: () => {
      if (child.pid !== undefined && child.exitCode === null) child.kill();
    },
  };
}
