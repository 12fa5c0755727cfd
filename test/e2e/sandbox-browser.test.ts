/**
 * The sandbox's page in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium,
 * installed by .ci/system-deps; Playwright never downloads one). Loads the page, checks the
 * charts and alerts render, acknowledges the critical alert and sees its escalation stop.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox';
import type { JournalEntry } from '../../sandbox/types';

const ROOT = resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(ROOT, 'test-artifacts');
const START = Date.parse('2026-11-24T09:00:00Z');

let sandbox: Sandbox;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/system-deps does it)`,
    );
  }
  sandbox = await startSandbox({ cwd: ROOT, speed: 60, start: START, port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(sandbox.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

describe('sandbox page in Chromium', () => {
  it('renders the dashboards with live charts', async () => {
    await page.getByTestId('dashboard').first().waitFor();
    await page.waitForFunction(
      `[...document.querySelectorAll('[data-testid="chart"]')].some((c) => Number(c.getAttribute('data-points')) > 0)`,
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.getByTestId('chart').count()).toBeGreaterThan(2);
    await expect(page.getByTestId('sim-clock').textContent()).resolves.toMatch(/\d\d:\d\d/);
  }, 60_000);

  it('lists a paged critical alert; acknowledge stops its escalation', async () => {
    // A person acknowledges once paged: the first critical alert that PagerDuty was paged for and
    // that is still firing on the page. (Which of the critical alerts leads its group depends on
    // which alarm fires first, so the test follows the page rather than naming the alert.)
    let fingerprint: string | undefined;
    for (let i = 0; i < 900 && fingerprint === undefined; i++) {
      const paged = sandbox
        .journal()
        .filter(
          (e): e is Extract<JournalEntry, { kind: 'notification' }> =>
            e.kind === 'notification' && e.channel === 'pagerduty' && e.notificationKind === 'firing',
        );
      for (const p of paged) {
        const firing = page.locator(
          `[data-testid="alert-row"][data-fingerprint="${p.fingerprint}"][data-status="firing"][data-severity="critical"]`,
        );
        if ((await firing.count()) > 0) {
          fingerprint = p.fingerprint;
          break;
        }
      }
      if (fingerprint === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    const row = page.locator(`[data-testid="alert-row"][data-fingerprint="${fingerprint}"]`);
    const ackedAt = sandbox.clock.now();
    await row.getByTestId('ack').click();
    await page
      .locator(`[data-testid="alert-row"][data-fingerprint="${fingerprint}"][data-status="acked"]`)
      .waitFor({ timeout: 15_000 });

    // the escalation's next check (after its 15-minute wait) sees the acknowledgement and stops;
    // should the alert resolve first, the router stops the execution instead
    const timeline = page.locator(`[data-testid="timeline"][data-fingerprint="${fingerprint}"]`);
    await timeline
      .getByText(/acknowledged by/i)
      .first()
      .waitFor({ timeout: 15_000 });
    await timeline
      .getByText(/Stopped: acknowledged or resolved|ExecutionAborted/)
      .first()
      .waitFor({ timeout: 60_000 });

    // the burst's 500s show on the page's counters (they are no Lambda function errors)
    const served5xx = await page.getByTestId('counter-server-errors').textContent();
    expect(Number((served5xx ?? '').replace(/\D/g, ''))).toBeGreaterThan(0);

    const journal = sandbox.journal();
    expect(journal.some((e) => e.kind === 'ack' && e.fingerprint === fingerprint)).toBe(true);
    const escalatedAfterAck = journal.filter(
      (e) =>
        e.kind === 'notification' &&
        e.fingerprint === fingerprint &&
        e.notificationKind === 'escalation' &&
        e.at > ackedAt,
    );
    expect(escalatedAfterAck).toEqual([]);
    // the acknowledgement itself was announced on the alert's channels
    expect(
      journal.some(
        (e) => e.kind === 'notification' && e.fingerprint === fingerprint && e.notificationKind === 'acknowledged',
      ),
    ).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: resolve(ARTIFACTS, 'sandbox.png'), fullPage: true });
  }, 200_000);

  it('shows the traces received and logs no console error', async () => {
    await page.waitForFunction(`document.querySelectorAll('[data-testid="trace-row"]').length > 0`, undefined, {
      timeout: 20_000,
    });
    expect(consoleErrors).toEqual([]);
  }, 30_000);
});
