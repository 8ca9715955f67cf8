import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRng } from '@revsync/emulators/kit';
import {
  addLines,
  createAccount,
  winDeal,
  type SimCustomer,
  type World,
} from '../../src/sim/actions.ts';
import {
  KEYS,
  describeInChromium,
  launchChromium,
  startBrowserDemo,
  type BrowserDemo,
} from '../support/browser-demo.ts';

/**
 * The dashboard in a real browser (Debian's Chromium, headless) against a real demo: emulators,
 * revsync on SQLite, steady traffic. Nothing here waits for a fixed time: every expectation
 * auto-waits, with timeouts generous enough for a loaded 2-core machine.
 */
const LONG = { timeout: 180_000 };

describeInChromium('dashboard in Chromium', () => {
  let running: BrowserDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let world: World;
  /** Deals closed without products: one to retry, one for the viewer to look at. */
  let toRetry: SimCustomer;
  let forViewer: SimCustomer;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    running = await startBrowserDemo({ trafficTickMs: 300 });
    browser = await launchChromium();
    // The sales rep's side: the demo's CRM through its vendor SDK, as the simulator does.
    world = running.demo.env.world;
    const rng = createRng(4242).fork('browser-test');
    toRetry = await createAccount(world, rng, 90_001);
    forViewer = await createAccount(world, rng, 90_002);
    await winDeal(world, rng, toRetry, { withoutLines: true });
    await winDeal(world, rng, forViewer, { withoutLines: true });
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

  /** The exception of a deal closed without products, as a link in the open queue. */
  async function exceptionLinkOf(page: Page, sim: SimCustomer) {
    await page.goto(`${running.url}/#/exceptions?flow=quote-to-cash`);
    const row = page.getByRole('link', {
      name: new RegExp(`${sim.opportunityId} has no line items`),
    });
    await row.waitFor(LONG);
    return row;
  }

  it('signs in with an API key, says so when the key is wrong, and signs out', async () => {
    const page = await openPage();
    await page.goto(`${running.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('API key').fill('rsk_wrongkey0_not-a-key-of-this-server-000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This API key was not accepted' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('revsync.apiKey'))).toBeNull();

    await page.getByLabel('API key').fill(KEYS.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.locator('[data-testid="who"]').textContent()).toBe('demo-operator');
    expect(await page.evaluate(() => sessionStorage.getItem('revsync.apiKey'))).toBe(KEYS.operator);

    // A reload keeps the session of this tab.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('revsync.apiKey'))).toBeNull();
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('shows the overview charts filled by the running demo, and the business views with counts', async () => {
    const page = await openPage();
    await signIn(page, KEYS.viewer);
    // The charts redraw as live events arrive; wait until throughput has drawn points.
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-chart="throughput"]')?.getAttribute('data-points')) >
        0,
      null,
      LONG,
    );
    expect(await page.locator('[data-chart="throughput"] path.line').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-chart="throughput"] circle.point').count()).toBeGreaterThan(0);
    await page.locator('[data-chart="latency"] path.line').first().waitFor(LONG);
    await page.locator('[data-chart="failures"] svg').waitFor();
    expect(await page.locator('[data-tile="throughput"] .tile-value').textContent()).toMatch(
      /\/min$/,
    );

    const views = (await (
      await fetch(`${running.url}/v1/views`, {
        headers: { authorization: `Bearer ${KEYS.viewer}` },
      })
    ).json()) as { views: { name: string }[] };
    await page.locator('.view-card').first().waitFor();
    const cards = await page.locator('.view-card').evaluateAll((els) =>
      els.map((el) => ({
        view: el.getAttribute('data-view'),
        count: el.getAttribute('data-count'),
      })),
    );
    expect(cards.map((c) => c.view)).toEqual(views.views.map((v) => v.name));
    for (const card of cards) expect(card.count).toMatch(/^\d+$/);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('opens an exception, retries it once the products are added, and the run completes', async () => {
    const page = await openPage();
    await signIn(page, KEYS.operator);
    const link = await exceptionLinkOf(page, toRetry);

    // The rep adds the forgotten products in Salesforce; then the operator presses retry.
    await addLines(world, toRetry.opportunityId!, toRetry);
    await link.click();
    await page
      .getByRole('heading', { level: 1, name: /quote-to-cash failed at check-lines/ })
      .waitFor();
    await page
      .getByText(`opportunity ${toRetry.opportunityId} has no line items to bill`)
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this exception?' });
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Retried: the run is back in the queue' })
      .waitFor();
    await page.getByText(/Retried by demo-operator/).waitFor();

    // The audit trail names the operator.
    await page.getByRole('cell', { name: 'exception.retry' }).waitFor();

    await page.locator('[data-testid="follow-run"]').click();
    await page.locator('[data-testid="run-status"] [data-status="completed"]').waitFor(LONG);

    // And the exception has left the open queue.
    await page.goto(`${running.url}/#/exceptions?flow=quote-to-cash`);
    await page.locator('table.data, .state-empty').first().waitFor();
    await expect
      .poll(
        () =>
          page
            .getByRole('link', { name: new RegExp(`${toRetry.opportunityId} has no line items`) })
            .count(),
        LONG,
      )
      .toBe(0);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('shows a viewer no action buttons, and the API refuses a viewer’s writes with 403', async () => {
    // Control: an operator sees the actions on this open exception…
    const operator = await openPage();
    await signIn(operator, KEYS.operator);
    await (await exceptionLinkOf(operator, forViewer)).click();
    await operator.getByRole('button', { name: 'Retry', exact: true }).waitFor();
    const exceptionUrl = operator.url();
    const exceptionId = decodeURIComponent(exceptionUrl.split('#/exceptions/')[1]!);
    await operator.close();

    // …a viewer sees none, on the list, the exception and its run.
    const viewer = await openPage();
    await signIn(viewer, KEYS.viewer);
    await exceptionLinkOf(viewer, forViewer);
    expect(await viewer.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect(await viewer.getByRole('checkbox').count()).toBe(0);

    await viewer.goto(exceptionUrl);
    await viewer
      .getByRole('heading', { level: 1, name: /quote-to-cash failed at check-lines/ })
      .waitFor();
    await viewer.getByRole('heading', { name: 'Audit trail' }).waitFor();
    for (const name of ['Retry', 'Skip…', 'Edit and resubmit…', 'Replay']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    expect(await viewer.locator('[data-action]').count()).toBe(0);

    await viewer.getByRole('link', { name: /^run_/ }).first().click();
    await viewer.locator('[data-testid="run-status"]').waitFor();
    await viewer.getByRole('heading', { name: /^Steps/ }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Replay', exact: true }).count()).toBe(0);
    const runId = decodeURIComponent(viewer.url().split('#/runs/')[1]!);

    // The server refuses the viewer's writes whatever the page shows: from the page…
    const fromPage = await viewer.evaluate(async (id) => {
      const key = sessionStorage.getItem('revsync.apiKey');
      const res = await fetch(`/v1/exceptions/${encodeURIComponent(id)}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, exceptionId);
    expect(fromPage).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    // …and from outside.
    for (const [url, body] of [
      [`/v1/runs/${encodeURIComponent(runId)}/replay`, undefined],
      [`/v1/exceptions/${encodeURIComponent(exceptionId)}/skip`, { reason: 'viewer tries' }],
    ] as const) {
      const res = await fetch(`${running.url}${url}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.viewer}`,
          ...(body && { 'content-type': 'application/json' }),
        },
        ...(body && { body: JSON.stringify(body) }),
      });
      expect(res.status, url).toBe(403);
    }
    // The exception is still open: nothing the viewer did went through.
    const still = await fetch(`${running.url}/v1/exceptions/${encodeURIComponent(exceptionId)}`, {
      headers: { authorization: `Bearer ${KEYS.viewer}` },
    });
    expect(((await still.json()) as { exception: { status: string } }).exception.status).toBe(
      'open',
    );
    await viewer.close();
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
