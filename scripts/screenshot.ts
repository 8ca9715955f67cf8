/**
 * Screenshots of the dashboard for the docs: starts the demo (emulators, revsync, traffic),
 * lets it run about a minute, signs in as operator and writes `docs/dashboard.png` (overview)
 * and `docs/dashboard-exceptions.png` (exception queue and one exception), both 1440×900.
 *
 *   node --import tsx scripts/screenshot.ts [--seconds 60]
 */
import { fileURLToPath } from 'node:url';
import {
  KEYS,
  chromiumMissing,
  launchChromium,
  startBrowserDemo,
} from '../test/support/browser-demo.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60;
const docs = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

const missing = chromiumMissing();
if (missing) {
  console.error(missing);
  process.exit(1);
}

// Light faults, as `revsync demo` runs by default, so the retry chart has something to show.
const running = await startBrowserDemo({ trafficTickMs: 400, faults: 'light' });
const browser = await launchChromium();
try {
  console.log(`demo at ${running.url}; letting traffic run ${seconds} s…`);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${running.url}/`);
  await page.getByLabel('API key').fill(KEYS.operator);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 60_000 });
  // The 5-minute window: a minute of traffic fills a fifth of it.
  await page.goto(`${running.url}/#/?window=5m`);
  await page.waitForFunction(
    () =>
      Number(document.querySelector('[data-chart="throughput"]')?.getAttribute('data-points')) > 0,
    null,
    { timeout: 60_000 },
  );
  await page.locator('.view-card').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: docs('dashboard.png') });
  console.log('wrote docs/dashboard.png');

  await page.goto(`${running.url}/#/exceptions`);
  await page.locator('table.data, .state-empty').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: docs('dashboard-exceptions.png') });
  console.log('wrote docs/dashboard-exceptions.png');
} finally {
  await browser.close();
  await running.stop();
}
