/**
 * `maif-obs replay` end to end: a short scenario on test/fixtures/replay.config.ts (critical
 * alerts paged on PagerDuty and Slack after a one-minute group wait, escalated to e-mail 5 minutes
 * later; warnings on Slack) played through the real router, the synthesized escalation and the ack
 * API. The command runs in a child process, as a user runs it, which also shows that the replay
 * never loads aws-cdk-lib in its own process (the template comes from the synthesis child).
 *
 * Times are simulated seconds read when a channel's topic delivers the notice: they include the
 * pipeline's own processing time multiplied by the speed, hence the tolerances below.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** The fixture's group_wait, in seconds. */
const GROUP_WAIT = 60;
/** The fixture's escalation delay to e-mail, in seconds. */
const ESCALATION = 300;

/** Tuesday 11:00 in Paris: the start does not matter to the fixture's routes, but fixes the output. */
const SCENARIO = {
  start: '2026-11-24T10:00:00Z',
  duration: 700,
  alerts: [
    // paged, escalated, then resolved; api_latency folds into its group's batch and resolves first
    { name: 'api_down', labels: { service: 'api' }, severity: 'critical', fire: 60, resolve: 600 },
    { name: 'api_latency', labels: { service: 'api' }, severity: 'critical', fire: 90, resolve: 500 },
    // paged, then acknowledged before its escalation is due: no escalation
    { name: 'db_down', labels: { service: 'db', severity: 'critical' }, fire: 60 },
    // silenced while it fires; queue_slow, the same kind of alert unsilenced, pages
    { name: 'cache_slow', labels: { service: 'cache' }, fire: 100 },
    { name: 'queue_slow', labels: { service: 'queue' }, fire: 100 },
  ],
  silences: [{ matchers: { alertname: 'cache_slow' }, start: 0, end: 400 }],
  acks: [{ name: 'db_down', at: 200 }],
};

interface Line {
  at: number;
  channel: string;
  group: Record<string, string>;
  status: string;
  firing: string[];
  resolved: string[];
  kind: string;
  level: number;
  members: string[];
}

let lines: Line[];
let code: number;
let cdkModulesLoaded: number;
let stderr: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maif-replay-'));
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify(SCENARIO));
  const script = `
    require('tsx/cjs');
    const { main } = require('./cli/index.ts');
    const out = [];
    const context = { cwd: process.cwd(), env: {}, out: (l) => out.push(l), err: (l) => process.stderr.write(l + '\\n') };
    main(['replay', ${JSON.stringify(file)}, '--config', 'test/fixtures/replay.config.ts', '--speed', '60'], context).then((code) => {
      const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](aws-cdk-lib|constructs|cdk-nag)[\\\\/]/.test(k));
      process.stdout.write(JSON.stringify({ code, out, loaded: loaded.length }));
    });
  `;
  const result = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, AWS_REGION: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', fail);
    child.on('exit', () => done({ stdout: out, stderr: err }));
  });
  stderr = result.stderr;
  const parsed = JSON.parse(result.stdout) as { code: number; out: string[]; loaded: number };
  code = parsed.code;
  cdkModulesLoaded = parsed.loaded;
  lines = parsed.out.map((l) => JSON.parse(l) as Line);
}, 180_000);

const about = (name: string) => lines.filter((l) => l.firing.includes(name) || l.resolved.includes(name));

describe('maif-obs replay', () => {
  it('runs without problems and without loading aws-cdk-lib in its process', () => {
    expect({ code, problems: stderr.split('\n').filter((l) => l.includes('problem')) }).toEqual({
      code: 0,
      problems: [],
    });
    expect(cdkModulesLoaded).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.at).toBeLessThanOrEqual(SCENARIO.duration);
  });

  it('pages a critical alert on PagerDuty and Slack once its group wait is over, naming its group', () => {
    for (const channel of ['pagerduty', 'slack']) {
      const firing = about('api_down').filter((l) => l.kind === 'firing' && l.channel === channel);
      expect(firing).toHaveLength(1);
      const [notice] = firing;
      expect(notice).toMatchObject({
        group: { service: 'api', severity: 'critical' },
        status: 'firing',
        firing: ['api_down'],
        resolved: [],
        level: 0,
      });
      // not before the group wait, and within one more group wait of processing
      expect(notice.at).toBeGreaterThanOrEqual(60 + GROUP_WAIT - 1);
      expect(notice.at).toBeLessThanOrEqual(60 + 2 * GROUP_WAIT);
      // the alert folded into the batch is named as a member of the group
      expect(notice.members).toEqual(['api_down', 'api_latency']);
    }
    // the folded alert has no notice of its own
    expect(about('api_latency')).toEqual([]);
  });

  it('escalates an unacknowledged alert at its level delay', () => {
    const escalations = about('api_down').filter((l) => l.kind === 'escalation');
    expect(escalations.map((l) => [l.channel, l.level])).toEqual([['email', 1]]);
    expect(escalations[0].at).toBeGreaterThanOrEqual(60 + GROUP_WAIT + ESCALATION - 1);
  });

  it('stops escalating an acknowledged alert and tells the paged channels', () => {
    const db = about('db_down');
    expect(
      db
        .filter((l) => l.kind === 'firing')
        .map((l) => l.channel)
        .sort(),
    ).toEqual(['pagerduty', 'slack']);
    const acked = db.filter((l) => l.kind === 'acknowledged');
    expect(acked.map((l) => l.channel).sort()).toEqual(['pagerduty', 'slack']);
    for (const l of acked) expect(l.at).toBeGreaterThanOrEqual(200);
    expect(db.filter((l) => l.kind === 'escalation')).toEqual([]);
  });

  it('sends nothing for a silenced alert during its silence', () => {
    expect(about('cache_slow').filter((l) => l.at < 400)).toEqual([]);
    // the same alert unsilenced pages Slack, so the silence is what kept cache_slow quiet
    const queue = about('queue_slow');
    expect(queue.map((l) => [l.channel, l.kind, l.group])).toEqual([
      ['slack', 'firing', { service: 'queue', severity: 'warning' }],
    ]);
  });

  it('sends a resolved notice to every channel paged when the alert resolves', () => {
    const resolved = about('api_down').filter((l) => l.status === 'resolved');
    expect(resolved.map((l) => l.channel).sort()).toEqual(['email', 'pagerduty', 'slack']);
    for (const l of resolved) {
      expect(l).toMatchObject({ kind: 'resolved', firing: [], resolved: ['api_down'] });
      expect(l.at).toBeGreaterThanOrEqual(600);
    }
    // db_down still fires at the end: never resolved
    expect(about('db_down').filter((l) => l.status === 'resolved')).toEqual([]);
  });
});
