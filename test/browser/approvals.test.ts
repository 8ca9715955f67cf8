import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRng } from '@revsync/emulators/kit';
import { createAccount, winDeal, type SimCustomer } from '../../src/sim/actions.ts';
import {
  KEYS,
  describeInChromium,
  launchChromium,
  startBrowserDemo,
  type BrowserDemo,
} from '../support/browser-demo.ts';

/**
 * Four-eyes approvals on the dashboard, in Debian's Chromium against a real demo: an operator's
 * skip of a quote-to-cash run (a posting flow) waits for approval, the requester cannot approve
 * their own request, and a second user approves it, after which the skip happens.
 */
const LONG = { timeout: 180_000 };

describeInChromium('approvals in Chromium', () => {
  let running: BrowserDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let deal: SimCustomer;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    running = await startBrowserDemo({ trafficTickMs: 300 });
    browser = await launchChromium();
    const world = running.demo.env.world;
    const rng = createRng(5151).fork('approvals-browser-test');
    deal = await createAccount(world, rng, 91_001);
    await winDeal(world, rng, deal, { withoutLines: true });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  async function openPage(): Promise<Page> {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${running.url}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  async function confirm(page: Page, name: string): Promise<void> {
    await page.locator('dialog').getByRole('button', { name, exact: true }).click();
  }

  it('a skip of a posting run waits for approval; self-approval is refused; a second user approves it', async () => {
    // The approver role includes the operator's actions: it asks for the skip…
    const requester = await openPage();
    await signIn(requester, KEYS.approver);
    await requester.goto(`${running.url}/#/exceptions?flow=quote-to-cash`);
    const row = requester.getByRole('link', {
      name: new RegExp(`${deal.opportunityId} has no line items`),
    });
    await row.waitFor(LONG);
    await row.click();
    await requester.getByRole('button', { name: 'Skip…', exact: true }).click();
    await requester.locator('#skip-reason').fill('the deal is being re-entered by sales');
    await requester.getByRole('button', { name: 'Skip exception' }).click();
    await confirm(requester, 'Skip');
    const link = requester.locator('[data-testid="change-request"]');
    await link.waitFor();
    const requestId = (await link.textContent())!.trim();
    expect(requestId).toMatch(/^chg_/);
    // The exception page says it waits, and the exception is still open.
    await requester.locator('[data-testid="waiting-for-approval"]').waitFor();
    expect(await requester.locator('[data-testid="waiting-for-approval"]').textContent()).toContain(
      requestId,
    );

    // …but cannot approve its own request: the page says so and the server refuses it.
    await link.click();
    await requester.getByRole('heading', { level: 1, name: /exception\.skip/ }).waitFor();
    await requester.getByText('You requested this change').waitFor();
    await requester.getByRole('button', { name: 'Approve', exact: true }).click();
    await confirm(requester, 'Approve');
    await requester.getByText(/Approve refused: .*another approver must approve it/).waitFor();
    await requester.close();

    // A second user (the admin) sees it in the inbox with its diff and approves it.
    const second = await openPage();
    await signIn(second, KEYS.admin);
    await second.getByRole('link', { name: 'Approvals' }).click();
    await second.getByRole('link', { name: requestId }).click();
    await second.getByRole('cell', { name: '$.status' }).waitFor();
    await second.getByRole('cell', { name: '"skipped"' }).waitFor();
    await second.getByText('demo-approver').first().waitFor();
    await second.getByRole('button', { name: 'Approve', exact: true }).click();
    await confirm(second, 'Approve');
    await second.getByText('Approved: executed.').waitFor();

    const res = await fetch(`${running.url}/v1/approvals/${requestId}`, {
      headers: { authorization: `Bearer ${KEYS.viewer}` },
    });
    const cr = ((await res.json()) as { changeRequest: { status: string; targetId: string } })
      .changeRequest;
    expect(cr.status).toBe('executed');
    const exc = await fetch(`${running.url}/v1/exceptions/${encodeURIComponent(cr.targetId)}`, {
      headers: { authorization: `Bearer ${KEYS.viewer}` },
    });
    expect(((await exc.json()) as { exception: { status: string } }).exception.status).toBe(
      'skipped',
    );
    const audit = await fetch(
      `${running.url}/v1/audit?targetType=change_request&targetId=${requestId}`,
      { headers: { authorization: `Bearer ${KEYS.viewer}` } },
    );
    const actions = (
      (await audit.json()) as { entries: { action: string; actor: string }[] }
    ).entries
      .map((e) => `${e.action} ${e.actor}`)
      .reverse();
    expect(actions).toEqual([
      'approval.request demo-approver',
      'approval.approve demo-admin',
      'approval.execute revsync',
    ]);
    await second.close();
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
