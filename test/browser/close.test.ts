import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRng } from '@revsync/emulators/kit';
import { addLines, createAccount, winDeal, type SimCustomer } from '../../src/sim/actions.ts';
import {
  KEYS,
  describeInChromium,
  launchChromium,
  startBrowserDemo,
  type BrowserDemo,
} from '../support/browser-demo.ts';

/**
 * The dashboard's Close page in a real browser (Debian's Chromium, headless) against a demo
 * without background traffic: a deal closed without products parks in the exception queue, the
 * period is BLOCKED by it, the blocker leads to the exception, and once the products are added
 * and the run retried the period is READY.
 */
const LONG = { timeout: 180_000 };

describeInChromium('Close page in Chromium', () => {
  let running: BrowserDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let sim: SimCustomer;
  const pageErrors: string[] = [];
  const period = new Date().toISOString().slice(0, 7);

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${running.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${KEYS.operator}`,
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
      },
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    running = await startBrowserDemo({ traffic: false, seed: 17 });
    browser = await launchChromium();
    const world = running.demo.env.world;
    sim = await createAccount(world, createRng(1717).fork('close-test'), 91_001);
    sim.interval = 'month';
    await winDeal(world, createRng(1718), sim, { withoutLines: true });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  async function signedIn(): Promise<Page> {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    await page.goto(`${running.url}/`);
    await page.getByLabel('API key').fill(KEYS.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    return page;
  }

  it('shows the period BLOCKED, leads from the blocker to its exception, and READY once it is resolved', async () => {
    await expect
      .poll(
        async () =>
          (
            await api<{ exceptions: { id: string }[] }>(
              '/v1/exceptions?status=open&flow=quote-to-cash',
            )
          ).exceptions.length,
        { timeout: 120_000, interval: 500 },
      )
      .toBe(1);
    const page = await signedIn();
    await page.getByRole('link', { name: 'Close', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Close ${period}` }).waitFor();

    const blocked = page.locator('.close-subsidiary[data-ready="false"]').first();
    await blocked.waitFor(LONG);
    await blocked.getByText('BLOCKED').waitFor();
    const blocker = blocked.locator('.blocker[data-kind="open_exception"]');
    await blocker.waitFor();
    expect(await blocker.textContent()).toContain(`${sim.opportunityId} has no line items`);

    // Drill down: the blocker's record is the exception, with its run and lineage.
    await blocker.getByRole('link', { name: /^Open exception / }).click();
    await page.waitForURL(/#\/exceptions\/exc_/);
    await page
      .getByText(`opportunity ${sim.opportunityId} has no line items to bill`)
      .first()
      .waitFor();

    // Resolved: the rep adds the products, the operator retries; the books follow.
    await addLines(running.demo.env.world, sim.opportunityId!, sim);
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this exception?' });
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await expect
      .poll(
        async () =>
          (
            await api<{ subsidiaries: { ready: boolean }[] }>(`/v1/close?period=${period}`)
          ).subsidiaries.every((s) => s.ready),
        { timeout: 180_000, interval: 1_000 },
      )
      .toBe(true);

    await page.goto(`${running.url}/#/close?period=${period}`);
    await page.locator('.close-subsidiary').first().waitFor(LONG);
    // The books may still be settling (the payment follows the invoice): refresh until READY.
    await expect
      .poll(
        async () => {
          const text = await page.locator('[data-testid="close-status"]').textContent();
          if ((await page.locator('.close-subsidiary[data-ready="false"]').count()) === 0)
            return 'ready';
          await page.getByRole('button', { name: 'Refresh' }).click();
          return text;
        },
        { timeout: 120_000, interval: 2_000 },
      )
      .toBe('ready');
    expect(await page.locator('.close-subsidiary[data-ready="true"]').count()).toBeGreaterThan(0);
    await page.getByText('READY').first().waitFor();

    // Reconcile the period (stored, as the API starts it), then export its discrepancies as CSV.
    const started = await api<{ id: string }>('/v1/recon/runs', {
      method: 'POST',
      body: JSON.stringify({ period }),
    });
    await expect
      .poll(
        async () =>
          (await api<{ run: { status: string } }>(`/v1/recon/runs/${started.id}`)).run.status,
        { timeout: 120_000, interval: 500 },
      )
      .not.toBe('running');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const csvLink = page.locator(`[data-testid="recon-csv"][data-run="${started.id}"]`);
    await csvLink.waitFor(LONG);
    const [download] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(download.suggestedFilename()).toBe(`recon-${period}-${started.id}-discrepancies.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const [header, ...rows] = csv.split('\r\n').filter((line) => line !== '');
    expect(header).toBe(
      'period,class,billing_id,erp_id,crm_id,subsidiary,currency,billing_amount_minor,erp_amount_minor,difference_minor,match_rule,tolerance_minor,correlation_id,run_ids,recon_run_id,message',
    );
    const stored = await api<{ discrepancies: unknown[] }>(`/v1/recon/runs/${started.id}`);
    expect(rows).toHaveLength(stored.discrepancies.length);

    // "Reconcile and repair" reconciles the period with repair on (as `recon run --repair`).
    await page.getByRole('button', { name: `Reconcile and repair ${period}` }).click();
    await expect
      .poll(async () => page.locator('[data-testid="recon-note"]').textContent(), LONG)
      .toMatch(new RegExp(`^${period}: (clean|discrepancies)`));
    const audit = await api<{
      entries: { action: string; details: { repair?: boolean } }[];
    }>('/v1/audit?targetType=recon_run&limit=5');
    expect(audit.entries.find((e) => e.action === 'recon.run')?.details.repair).toBe(true);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 400_000);
});
