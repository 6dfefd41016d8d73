// The live page on the --metrics address, in a real browser: headless
// Chromium (Debian's `chromium` package) loads / during a transfer; the DOM it
// ends with must hold the uPlot chart and one row per carrier. The screenshot
// is kept in test-results/live-page.png. Chromium is installed with apt-get when
// missing (as root); where that fails the browser
// part is left out with a warning; the page, the chart library and /state are
// checked over HTTP either way.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveState } from '../src/live-page.js';
import { ensureProgram } from '@mpx/testkit';
import { CLIENT_PORT, echoThrough, killAll, SERVER_PORT, startEcho, Tunnel, type EchoServer } from './helpers.js';

const run = promisify(execFile);
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));

/** Headless Chromium with `args` on `url`; the page's timers run on virtual time, so the budget passes in well under a second of waiting. */
async function chromium(browser: string, url: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    browser,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--hide-scrollbars',
      '--window-size=1200,900',
      '--virtual-time-budget=6000',
      ...args,
      url,
    ],
    { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

describe('the live page', () => {
  it('shows the chart and one row per carrier in headless Chromium during a transfer', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--metrics', '127.0.0.1:0']);
    const serverPort = Number((await server.waitFor(SERVER_PORT))[1]);
    const client = new Tunnel([
      'client',
      '--listen',
      '127.0.0.1:0',
      '--server',
      `127.0.0.1:${serverPort}|1,127.0.0.1:${serverPort}|3`,
      '-p',
      '2',
      '--metrics',
      '127.0.0.1:0',
    ]);
    const port = Number((await client.waitFor(CLIENT_PORT))[1]);
    const page = (await client.waitFor(/live page on (http:\/\/127\.0\.0\.1:\d+\/)/))[1] as string;
    await client.waitForCount(/carrier #\d+ to .* up/, 4);

    // Traffic while the browser looks: bounded rounds of 1 MiB each way until it is done.
    let looking = true;
    const traffic = (async () => {
      for (let round = 0; looking && round < 2000; round++) await echoThrough(port, 1024 * 1024, 1800 + round);
    })();
    try {
      const html = await (await fetch(page)).text();
      expect(html).toContain('<script src="uplot.js"></script>');
      expect(html).toContain('<table id="carriers">');
      const chart = await fetch(new URL('uplot.js', page));
      expect(chart.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await chart.text()).toContain('uPlot');
      const state = (await (await fetch(new URL('state', page))).json()) as LiveState;
      expect(state.sessions).toBe(1);
      expect(state.carriers).toHaveLength(4);
      expect(state.carriers.map((c) => c.weight).sort()).toEqual([1, 1, 3, 3]);
      expect(state.carriers.every((c) => c.state === 'open' && c.session === state.carriers[0]?.session && c.inFlight !== null)).toBe(true);
      expect(state.carriers[0]?.session).toMatch(/^[0-9a-f]{8}$/); // never the full id

      const { path: browser, note } = ensureProgram({ commands: ['chromium', 'chromium-browser', 'google-chrome'], debianPackage: 'chromium' });
      if (browser === undefined) {
        console.warn(`\n*** live page: NO BROWSER CHECK: ${note}; checked the page over HTTP only ***\n`);
        return;
      }
      const dom = await chromium(browser, page, ['--dump-dom']);
      expect(dom).toMatch(/<div class="uplot[^"]*"/);
      expect(dom).toContain('Throughput per carrier');
      expect(dom).toMatch(/<canvas[^>]*width="\d+"/);
      const rows = [...dom.matchAll(/<tr class="carrier" data-carrier="[0-9a-f]+\/(\d+)">(.*?)<\/tr>/g)];
      expect(rows).toHaveLength(4);
      for (const [, , cells] of rows) {
        expect(cells).toContain(`tcp://127.0.0.1:${serverPort}`);
        expect(cells).toContain('<td>open</td>');
        expect(cells).toMatch(/<td>[\d.]+ ms<\/td>/); // RTT
      }
      expect(dom).toMatch(/<span id="status" class="">live<\/span>/);
      // Rates are shown once two polls have been seen, in the rows and the chart legend.
      expect(dom).toMatch(/<td>\d+(\.\d+)? (B|kB|MB|GB)\/s<\/td>/);

      mkdirSync(RESULTS, { recursive: true });
      await chromium(browser, page, [`--screenshot=${RESULTS}live-page.png`]);
    } finally {
      looking = false;
      await traffic;
    }
  }, 420_000); // includes apt-get install chromium where it is missing
});
