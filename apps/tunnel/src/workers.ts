// `mpx-tunnel server --workers N`: Node's `cluster`. The primary owns the
// listening sockets and runs no session: it reads the routing key of each new
// connection (route-key.ts: the ROUTE frame of a tcp:// carrier, the
// `session` of a ws:// upgrade request), and sends the socket's handle with
// the bytes already read to the worker that owns the session (workerOf). A
// worker runs sessions and target connections (server-command.ts in worker
// mode: listeners that do not bind and adopt() what the primary sends).
//
// - A worker that dies is forked again under the same index; connections for
//   it wait in the primary (bounded) until it is ready. Its sessions are gone:
//   their clients find SESSION_UNKNOWN with no carrier left and start anew
//   (SPEC §3.5).
// - --metrics and --stats are the primary's: each scrape asks every worker
//   for its live state (and, for /metrics, its registry as JSON) and sums
//   them (mergeStates; prom-aggregate.ts for the metrics). Workers print no
//   --stats lines of their own; the primary prints one set for all of them,
//   each carrier with its worker and session.
// - tls:// and wss:// listeners are refused with more than one worker: the
//   routing key is inside TLS, which the primary does not terminate.
//   Terminate TLS in front (nginx, HAProxy) or run --workers 1.
import cluster, { type Worker } from 'node:cluster';
import * as net from 'node:net';
import { formatAddress, hostPort } from './address.js';
import type { ServerConfig } from './config.js';
import { UsageError } from './errors.js';
import { describeError, type Logger } from './log.js';
import { LastingTotals } from './lasting-totals.js';
import { tcpRouteKey, workerOf, wsRouteKey, type RouteKey } from './route-key.js';
import { waitUntil, type RunningCommand } from './shutdown.js';
import { StatsReporter } from './stats.js';
import type { WebServer } from './web.js';
import type { LiveState } from './live-page.js';
import type { ScrapedMetrics } from './metrics.js';

/** The environment variable that tells a forked process its worker index. */
export const WORKER_ENV = 'MPX_WORKER_INDEX';

/**
 * Rationale: a worker boots in well under a second; connections that arrive
 * meanwhile wait, up to this many per worker (a burst of reconnecting
 * clients), and are closed beyond it: their clients redial.
 */
const MAX_WAITING_PER_WORKER = 4096;

/** Messages between the primary and a worker (over the cluster IPC channel). */
export type WorkerMessage =
  | { readonly mpx: 'ready' }
  | { readonly mpx: 'carrier'; readonly listen: number; readonly head: string }
  /** `metrics`: also the registry (for /metrics); the live state alone serves /state and --stats. */
  | { readonly mpx: 'scrape'; readonly id: number; readonly metrics: boolean }
  | { readonly mpx: 'scraped'; readonly id: number; readonly metrics?: ScrapedMetrics; readonly state: LiveState };

/** This process's worker index, or undefined when it is not a worker of `--workers`. */
export function workerIndex(): number | undefined {
  const text = process.env[WORKER_ENV];
  return cluster.isWorker && text !== undefined ? Number(text) : undefined;
}

export function isMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { mpx?: unknown }).mpx === 'string';
}

interface Slot {
  readonly index: number;
  worker: Worker;
  ready: boolean;
  readonly waiting: Array<{ socket: net.Socket; listen: number; head: Buffer }>;
}

/** Runs the primary: binds --listen, forks the workers and routes connections to them. */
export async function runPrimary(config: ServerConfig, workers: number): Promise<RunningCommand> {
  const { log } = config;
  for (const address of config.listen) {
    if (address.scheme === 'tls' || address.scheme === 'wss') {
      throw new UsageError(
        'MPX_TUNNEL_ERR_OPTION',
        `--workers ${workers} cannot route ${formatAddress(address)}: the session id is inside TLS; terminate TLS in front (nginx, HAProxy) and listen on ws:// or tcp://, or use --workers 1`,
      );
    }
  }
  let stopping = false;
  const slots: Slot[] = [];
  let nextRoundRobin = 0;
  const scrapes = new Map<number, { left: number; parts: Scraped[]; done: () => void }>();
  let scrapeIds = 0;

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    worker.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      const slot = slots[index];
      if (message.mpx === 'ready' && slot !== undefined && slot.worker === worker) {
        slot.ready = true;
        log.info(`worker ${index} (pid ${worker.process.pid ?? '?'}) ready`);
        for (const w of slot.waiting.splice(0)) hand(slot, w.socket, w.listen, w.head);
      } else if (message.mpx === 'scraped') {
        const scrape = scrapes.get(message.id);
        if (scrape === undefined) return;
        scrape.parts.push({ worker: index, generation: worker.id, metrics: message.metrics ?? [], state: message.state });
        if (--scrape.left === 0) scrape.done();
      }
    });
    worker.on('exit', (code, signal) => {
      const slot = slots[index];
      if (slot === undefined || slot.worker !== worker) return;
      slot.ready = false;
      if (stopping) return;
      log.warn(`worker ${index} (pid ${worker.process.pid ?? '?'}) exited (${signal ?? `code ${code}`}); its sessions are lost, restarting it`);
      slot.worker = fork(index);
    });
    return worker;
  };

  const hand = (slot: Slot, socket: net.Socket, listen: number, head: Buffer): void => {
    if (socket.destroyed) return;
    if (!slot.ready) {
      if (slot.waiting.length >= MAX_WAITING_PER_WORKER) {
        socket.destroy();
        return;
      }
      slot.waiting.push({ socket, listen, head });
      return;
    }
    const message: WorkerMessage = { mpx: 'carrier', listen, head: head.toString('base64') };
    slot.worker.send(message, socket, { keepOpen: false }, (err) => {
      if (err !== null) socket.destroy();
    });
  };

  const route = (socket: net.Socket, listen: number, readKey: (head: Uint8Array) => RouteKey): void => {
    const remote = hostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    const chunks: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => {
      log.debug(`connection from ${remote}: no routing key within ${config.limits.handshakeTimeoutMs} ms, closed`);
      socket.destroy();
    }, config.limits.handshakeTimeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onError = (): void => {
      socket.destroy();
    };
    const onClose = (): void => done();
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const key = readKey(head);
      if (key.kind === 'more') return;
      done();
      socket.pause();
      // Bytes the socket read past the last 'data' go along too, in order.
      const rest: Buffer[] = [head];
      for (let more = socket.read() as Buffer | null; more !== null; more = socket.read() as Buffer | null) rest.push(more);
      stopReading(socket);
      let index: number;
      if (key.kind === 'session') {
        index = workerOf(key.session, workers);
        log.debug(`carrier from ${remote} for session ${key.session.slice(0, 8)} to worker ${index}`);
      } else {
        index = nextRoundRobin++ % workers;
        log.debug(`connection from ${remote} names no session (a client that does not send ROUTE): to worker ${index}`);
      }
      hand(slots[index] as Slot, socket, listen, rest.length === 1 ? head : Buffer.concat(rest));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.resume();
  };

  for (let i = 0; i < workers; i++) slots.push({ index: i, worker: undefined as unknown as Worker, ready: false, waiting: [] });
  for (const slot of slots) slot.worker = fork(slot.index);

  const servers: net.Server[] = [];
  try {
    for (const [listen, address] of config.listen.entries()) {
      const readKey = address.scheme === 'ws' ? wsRouteKey : tcpRouteKey;
      const server = net.createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (socket) => route(socket, listen, readKey));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address.host === '' ? undefined : address.host, port: address.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => log.error(`listener ${formatAddress(address)}: ${describeError(err)}`));
      servers.push(server);
      const bound = server.address() as net.AddressInfo;
      log.info(
        `listening on ${formatAddress({ ...address, host: bound.address, port: bound.port })} (primary, routing to ${workers} workers by session)`,
      );
    }
  } catch (err) {
    stopping = true;
    for (const s of servers) s.close();
    for (const slot of slots) slot.worker.kill();
    throw err;
  }

  /** Every ready worker's state (and registry when `metrics`); a worker that does not answer within 2 s is left out. */
  const scrape = (metrics: boolean): Promise<Scraped[]> => {
    const live = slots.filter((s) => s.ready);
    if (live.length === 0) return Promise.resolve([]);
    const id = ++scrapeIds;
    return new Promise((resolve) => {
      const entry = { left: live.length, parts: [] as Scraped[], done: () => finish() };
      const timer = setTimeout(() => finish(), 2000);
      const finish = (): void => {
        clearTimeout(timer);
        scrapes.delete(id);
        resolve(entry.parts);
      };
      scrapes.set(id, entry);
      for (const s of live) s.worker.send({ mpx: 'scrape', id, metrics } satisfies WorkerMessage);
    });
  };
  const lasting = new LastingTraffic();
  const state = async (): Promise<LiveState> => {
    const parts = await scrape(false);
    return lasting.apply(mergeStates(parts, workers), parts);
  };

  const stopStats = config.statsSeconds === undefined ? () => {} : new StatsReporter().start(config.statsSeconds, log, state);
  let web: WebServer | undefined;
  if (config.metrics !== undefined) {
    // Loaded here: a primary without --metrics does not hold the exposition or the web server.
    const [{ aggregate, LastingCounters }, { CONTENT_TYPE, exposition }, { startWebServer }] = await Promise.all([
      import('./prom-aggregate.js'),
      import('./prom-text.js'),
      import('./web.js'),
    ]);
    // Counters that never go down when a worker is forked again (prom-aggregate.ts).
    const counters = new LastingCounters();
    web = await startWebServer(config.metrics.host, config.metrics.port, {
      metrics: {
        contentType: CONTENT_TYPE,
        metrics: async () => {
          const parts = await scrape(true);
          return exposition(aggregate(counters.apply(parts.map((p) => ({ worker: p.worker, generation: p.generation, families: p.metrics })))));
        },
      },
      state,
    });
    log.info(`metrics of all workers on ${web.url}metrics, live page on ${web.url}`);
  }

  return {
    async stop() {
      stopping = true;
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const slot of slots) {
        for (const w of slot.waiting.splice(0)) w.socket.destroy();
        if (!slot.worker.isDead()) slot.worker.process.kill('SIGTERM');
      }
      await waitUntil(() => slots.every((s) => s.worker.isDead()), config.drainTimeoutMs + 3000);
      for (const slot of slots) if (!slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
      stopStats();
      await web?.close();
    },
  };
}

/**
 * Stops the primary's reads of a socket it is about to send. pause() alone
 * does not (Node stops reading a paused socket only once its buffer is
 * full), and until the worker has acknowledged the handle the primary still
 * polls the descriptor: bytes it read then (the client's HELLO, answering the
 * worker's CHALLENGE) would be dropped with the primary's copy of the handle.
 * Rationale for the internal `_handle.readStop()`: no public API stops the
 * reads of a net.Socket, and Node's own handle passing leaves it reading.
 */
function stopReading(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number; reading?: boolean } | null })._handle;
  if (handle?.readStop === undefined) return;
  handle.reading = false;
  handle.readStop();
}

/** One worker's answer to a scrape. */
export interface Scraped {
  readonly worker: number;
  /** Which fork of the worker index answered (cluster's worker id): it changes when the worker is forked again. */
  readonly generation: number;
  readonly metrics: ScrapedMetrics;
  readonly state: LiveState;
}

/** One live state from the answers of the workers: counts summed, carriers listed together, each with its worker. */
export function mergeStates(parts: readonly Pick<Scraped, 'worker' | 'state'>[], total: number, now: () => number = Date.now): LiveState {
  const sum = (field: 'sessions' | 'streams' | 'bytesIn' | 'bytesOut'): number => parts.reduce((n, p) => n + p.state[field], 0);
  return {
    time: now(),
    sessions: sum('sessions'),
    streams: sum('streams'),
    bytesIn: sum('bytesIn'),
    bytesOut: sum('bytesOut'),
    carriers: parts.flatMap((p) => p.state.carriers.map((c) => ({ ...c, worker: p.worker }))),
    workers: { answered: parts.length, total },
  };
}

/**
 * The byte totals of the workers summed, never going down (lasting-totals.ts):
 * what a worker forked again had counted stays under its new count, and a
 * worker that did not answer a scrape counts with its last answer.
 */
export class LastingTraffic {
  readonly #totals = new LastingTotals();
  /** Each worker's last answer, raised. */
  readonly #answers = new Map<number, ReadonlyMap<string, number>>();

  /** `merged` with bytesIn and bytesOut that include what restarted workers had counted. */
  apply(merged: LiveState, parts: readonly Pick<Scraped, 'worker' | 'generation' | 'state'>[]): LiveState {
    for (const { worker, generation, state } of parts) {
      const totals = new Map([
        ['bytesIn', state.bytesIn],
        ['bytesOut', state.bytesOut],
      ]);
      this.#answers.set(worker, this.#totals.answer(worker, generation, totals));
    }
    let bytesIn = 0;
    let bytesOut = 0;
    for (const answer of this.#answers.values()) {
      bytesIn += answer.get('bytesIn') ?? 0;
      bytesOut += answer.get('bytesOut') ?? 0;
    }
    return { ...merged, bytesIn, bytesOut };
  }
}

/** Worker side: a logger whose lines name the worker. */
export function workerLogger(log: Logger, index: number): Logger {
  const tag = (m: string): string => `[worker ${index}] ${m}`;
  return {
    level: log.level,
    enabled: (level) => log.enabled(level),
    error: (m) => log.error(tag(m)),
    warn: (m) => log.warn(tag(m)),
    info: (m) => log.info(tag(m)),
    debug: (m) => log.debug(tag(m)),
    trace: (m) => log.trace(tag(m)),
  };
}
