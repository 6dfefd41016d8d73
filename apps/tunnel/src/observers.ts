// --stats and --metrics (with the live page) of a running client or server.
// The metrics endpoint and the live page (the exposition, the HTTP server, the
// page) are loaded only when --metrics asks for them: a process without it
// does not hold their code (idle RSS, docs/decisions/0001-no-heap-ballast.md).
import type { CommonConfig } from './config.js';
import { StatsReporter, type CarrierBook, type Traffic, type TunnelView } from './stats.js';
import { liveState } from './live-page.js';
import type { WebServer } from './web.js';

/** Starts --stats and --metrics as configured; returns a function that stops both. */
export async function startObservers(config: CommonConfig, view: TunnelView, book: CarrierBook, traffic: Traffic): Promise<() => Promise<void>> {
  const stopStats =
    config.statsSeconds === undefined ? () => {} : new StatsReporter().start(config.statsSeconds, config.log, () => liveState(view, traffic));
  let web: WebServer | undefined;
  if (config.metrics !== undefined) {
    const [{ TunnelMetrics, snapshotOf }, { startWebServer }] = await Promise.all([import('./metrics.js'), import('./web.js')]);
    const metrics = new TunnelMetrics(() => snapshotOf(view, book, traffic), { defaults: true, refusals: view.refusals !== undefined });
    web = await startWebServer(config.metrics.host, config.metrics.port, { metrics, state: () => liveState(view, traffic) });
    config.log.info(`metrics on ${web.url}metrics, live page on ${web.url}`);
  }
  return async () => {
    stopStats();
    await web?.close();
  };
}
