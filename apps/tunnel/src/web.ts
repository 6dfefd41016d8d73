// The --metrics address: GET /metrics (Prometheus text, metrics.ts), GET / (the
// live page, live-page.ts), GET /state (the JSON the page polls) and the chart
// library's two files, served from the uplot package at run time: no build
// step, no external network.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { hostPort } from './address.js';
import { LIVE_PAGE, type LiveState } from './live-page.js';

export interface WebSources {
  readonly metrics: { metrics(): string | Promise<string>; readonly contentType: string };
  /** The primary of --workers asks its workers, hence a promise. */
  readonly state: () => LiveState | Promise<LiveState>;
}

export interface WebServer {
  /** `http://host:port/` with the bound port. */
  readonly url: string;
  close(): Promise<void>;
}

interface StaticFile {
  readonly type: string;
  readonly body: () => Buffer | string;
}

/** A file of the installed uplot package, read on its first request and kept (a process nobody browses never reads it). */
function chartFile(path: string): () => Buffer {
  let body: Buffer | undefined;
  return () => (body ??= readFileSync(createRequire(import.meta.url).resolve(path)));
}

export function startWebServer(host: string, port: number, sources: WebSources): Promise<WebServer> {
  const files: Record<string, StaticFile> = {
    '/': { type: 'text/html; charset=utf-8', body: () => LIVE_PAGE },
    '/uplot.js': { type: 'text/javascript; charset=utf-8', body: chartFile('uplot/dist/uPlot.iife.min.js') },
    '/uplot.css': { type: 'text/css; charset=utf-8', body: chartFile('uplot/dist/uPlot.min.css') },
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const file = files[path];
    if (file === undefined && path !== '/metrics' && path !== '/state') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try / or /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const send = (type: string, body: Buffer | string): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const answer = (type: string, body: () => Buffer | string | Promise<string>): void => {
      Promise.resolve()
        .then(body)
        .then(
          (text) => send(type, text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${path.slice(1)} failed: ${String(err)}\n`),
        );
    };
    if (file !== undefined) answer(file.type, file.body);
    else if (path === '/state') answer('application/json', async () => JSON.stringify(await sources.state()));
    else answer(sources.metrics.contentType, () => sources.metrics.metrics());
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: host === '' ? undefined : host, port }, () => {
      server.removeListener('error', reject);
      server.on('error', () => {});
      const bound = server.address() as AddressInfo;
      resolve({
        url: `http://${hostPort(bound.address, bound.port)}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
