// `mpx-tunnel server`: accept carriers on every --listen address into one
// MpxServer (SPEC §3: sessions grouped by id), and for each stream a client
// opens, dial --target and pipe both ways. A target that refuses or times out
// gets the stream refused (SPEC §6.4, RESET with REFUSED) and a log line.
// Limits (limits.ts) go to the core; refusals a stranger can cause at will
// (failed handshakes, streams beyond --max-streams) are logged rate-limited.
// Before login: every connection counts against --max-pending-handshakes and
// --handshake-timeout from its TCP accept (MpxServer.admitConnection), and
// none is let in while descriptors are within their reserve (descriptors.ts).
import type * as net from 'node:net';
import {
  MpxError,
  MpxServer,
  TARGET_CONNECTED,
  WireCode,
  readTargetHeader,
  type CarrierStats,
  type MpxStream,
  type Session,
  type StreamTarget,
} from '@mpx/core';
import { startTcpDial } from '@mpx/transport-tcp';
import { decideTarget } from './allow-decision.js';
import { formatAddress, hostPort, isLoopback } from './address.js';
import { CarrierAges, carrierDownText } from './carrier-down.js';
import { listenCarriers, noteWebSocketMasking, type CarrierListenerHandle } from './carriers.js';
import type { ServerConfig } from './config.js';
import { DescriptorHeadroom } from './descriptors.js';
import { allocateFeedbackAtFirstCarrier } from './feedback-allocation.js';
import { limitHint } from './limits.js';
import { startMemoryRelease } from './memory-release.js';
import { describeError, type LogLevel } from './log.js';
import type { LiveState } from './live-page.js';
import type { TunnelMetrics } from './metrics.js';
import { startObservers } from './observers.js';
import { OpenStorm } from './open-storm.js';
import { SOCKET_WRITE_BUFFER, abortSocket, splice } from './pipe.js';
import { PayloadPool } from './payload-pool.js';
import { readerForStream, type SocketReader } from './socket-reader.js';
import { RateLimitedLog, remoteHost } from './rate-limit.js';
import { Connections, waitUntil, type RunningCommand } from './shutdown.js';
import { CarrierBook, Refusals, Traffic, carrierUse, type LiveCarrier, type TunnelView } from './stats.js';
import { isMessage, runPrimary, workerLogger, workerIndex, type WorkerMessage } from './workers.js';

export async function runServer(options: ServerConfig): Promise<RunningCommand> {
  const worker = workerIndex();
  if (worker === undefined && options.workers > 1) {
    return runPrimary(options, options.workers);
  }
  // A worker of --workers: its log lines name it, and the primary serves --metrics.
  const config: ServerConfig = worker === undefined ? options : { ...options, log: workerLogger(options.log, worker) };
  const { log } = config;
  // What the server reads from its targets is copied into reused blocks, given back once the client acknowledged it (payload-pool.ts).
  const payloads = new PayloadPool();
  const server = new MpxServer({
    payloadOwner: payloads,
    ...config.limits,
    ...(config.key === undefined ? {} : { key: config.key }),
    ...(config.graceMs === undefined ? {} : { graceMs: config.graceMs }),
  });
  const refusedLog = new RateLimitedLog(log);
  const headroom = new DescriptorHeadroom();
  const refusals = new Refusals();
  const traffic = new Traffic();
  const book = new CarrierBook();
  const connections = new Connections();
  /** Carrier label (its remote address) → the listen address it came in on. */
  const groupOf = new Map<string, string>();
  const fixed =
    config.target === undefined
      ? undefined
      : { host: config.target.host, port: config.target.port, label: hostPort(config.target.host, config.target.port) };
  let stopping = false;
  let carriersUp = 0;
  const memory = startMemoryRelease(log);
  const storm = new OpenStorm();
  const ages = new CarrierAges();

  server.on('session', (session: Session) => {
    const sid = session.idHex.slice(0, 8);
    log.info(`session ${sid} created`);
    session.on('carrier', (stats: CarrierStats) => {
      allocateFeedbackAtFirstCarrier(log);
      carriersUp++;
      ages.up(stats.id);
      log.info(`carrier #${stats.id} from ${stats.label} up (session ${sid}, weight ${stats.weight}${carrierUse(stats)})`);
    });
    session.on('carrierClose', (stats: CarrierStats, err?: MpxError) => {
      carriersUp--;
      book.closed(groupOf.get(stats.label) ?? stats.label, stats);
      groupOf.delete(stats.label);
      log.info(`carrier #${stats.id} from ${stats.label} down${carrierDownText(err, ages.down(stats.id), ` (session ${sid})`)}`);
    });
    session.on('streamRefused', (err: MpxError) => {
      refusals.add('streams', err.code);
      refusedLog.log(
        'warn',
        `streamRefused ${session.idHex}`,
        `streams of session ${sid} refused (${err.code})`,
        `session ${sid}: ${describeError(err)} (--max-streams ${config.limits.maxStreams}); the client closes that connection`,
      );
    });
    session.once('close', (err?: MpxError) => {
      log.info(`session ${sid} closed${err === undefined ? '' : `: ${describeError(err)}`}`);
      memory.sessionEnded();
    });
  });
  server.on('carrierError', (err: MpxError, info: { remote?: string }) => {
    const remote = info.remote ?? '?';
    groupOf.delete(remote);
    const host = remoteHost(remote);
    const auth = err.code === 'MPX_ERR_AUTH_FAILED' || err.wireCode === WireCode.AUTH_FAILED;
    const level: LogLevel = auth || err.code === 'MPX_ERR_LIMIT_EXCEEDED' ? 'warn' : 'info';
    const why = auth ? "authentication failed (the client's --key does not match)" : `${describeError(err)}${limitHint(err, 'carrier')}`;
    refusals.add('carriers', err.code);
    refusedLog.log(
      level,
      `carrierError ${err.code} ${host}`,
      `carriers from ${host} refused (${err.code})`,
      `carrier from ${remote} refused: ${why}`,
    );
  });
  server.on('stream', (stream: MpxStream, session: Session) => {
    storm.opened();
    const name = `${session.idHex.slice(0, 8)}/${stream.id}`;
    if (stopping) {
      stream.on('error', () => {});
      // GOING_AWAY, not REFUSED: the client tells its user the server is stopping, not that the target refused (SPEC §11).
      stream.destroy(new MpxError('MPX_ERR_GOING_AWAY', 'server shutting down', { wireCode: WireCode.GOING_AWAY }));
      log.debug(`stream ${name} refused: shutting down`);
      return;
    }
    if (stream.kindKnown) {
      route(stream, name);
      return;
    }
    // SPEC §6.6: opened by a frame of another stream; its own first DATA frame says whether it names a target.
    const onKind = (): void => {
      stream.off('close', onClose);
      route(stream, name);
    };
    const onClose = (): void => {
      stream.off('kind', onKind);
    };
    stream.on('error', (err: Error) => log.debug(`stream ${name} before its first data: ${describeError(err)}`));
    stream.once('kind', onKind);
    stream.once('close', onClose);
  });

  /** A stream whose kind is known: to its own target (within --allow), or to --target. */
  function route(stream: MpxStream, name: string): void {
    if (stream.target) {
      void forwardTarget(stream, name);
    } else if (fixed === undefined) {
      refuseStream(stream, name, WireCode.NOT_ALLOWED, 'this server has no --target (it serves only SOCKS5 / HTTP CONNECT clients, within --allow)');
    } else {
      forward(stream, name, fixed, false);
    }
  }

  /** Resets a stream that is not served, with `wireCode` (SPEC §6.4, §6.6). */
  function refuseStream(stream: MpxStream, name: string, wireCode: number, why: string): void {
    log.info(`stream ${name} refused: ${why}`);
    stream.on('error', () => {});
    const code =
      wireCode === WireCode.NOT_ALLOWED
        ? 'MPX_ERR_NOT_ALLOWED'
        : wireCode === WireCode.UNREACHABLE
          ? 'MPX_ERR_TARGET_UNREACHABLE'
          : 'MPX_ERR_PROTOCOL';
    stream.destroy(new MpxError(code, why, { wireCode }));
  }

  /** SPEC §6.6: a stream that names its target: read it, check --allow, resolve, connect, answer. */
  async function forwardTarget(stream: MpxStream, name: string): Promise<void> {
    // The client may reset the stream while its name resolves: no listener yet would crash.
    stream.on('error', (err: Error) => log.debug(`stream ${name} before its target was connected: ${describeError(err)}`));
    let requested: StreamTarget;
    try {
      requested = await readTargetHeader(stream);
    } catch (err) {
      if (!stream.destroyed) refuseStream(stream, name, WireCode.PROTOCOL, `bad target header: ${describeError(err)}`);
      return;
    }
    const label = hostPort(requested.host, requested.port);
    const decision = await decideTarget(config.allow, requested);
    if (stream.destroyed) return;
    if ('refuse' in decision) {
      refuseStream(stream, name, decision.refuse, `target ${label}: ${decision.why}`);
      return;
    }
    forward(stream, name, { host: decision.address, port: requested.port, label }, true);
  }

  /**
   * Connects `stream` to `target` and pipes both ways. `dynamic`: a target
   * stream (SPEC §6.6), answered with TARGET_CONNECTED and refused with
   * UNREACHABLE or REFUSED; a plain stream is refused with REFUSED.
   */
  function forward(stream: MpxStream, name: string, target: { host: string; port: number; label: string }, dynamic: boolean): void {
    const targetLabel = target.label;
    log.debug(`stream ${name} opened, connecting to ${targetLabel}`);
    // The TCP dialer's deadline and abort (MPX_ERR_CONNECT_TIMEOUT, ABORT_ERR), as
    // for the relay's carriers; half-open and TCP_NODELAY come with it. No
    // keep-alive: the target is usually near, and the stream has its own idle timeout.
    // What only the dial needs (its cancel, options and callbacks) lives in
    // this function's scope, which nothing outlasting the dial holds: an
    // open stream keeps only what relay() creates (10,000 open streams,
    // docs/decisions/0006-idle-memory.md). Cancelled by a call, not an
    // AbortController: one per stream cost ~4 µs (startTcpDial).
    logStreamErrors(stream, name);
    // Target bytes are read into a reused buffer, each read sized to what the
    // stream takes (its sendRoom, SPEC §7.4), and stop in the write that
    // fills it (socket-reader.ts): a stream without room holds nothing more,
    // however much the target sends.
    const reader = readerForStream(stream, payloads);
    const attempt = startTcpDial({
      onread: reader.onread,
      host: target.host,
      port: target.port,
      connectTimeoutMs: config.connectTimeoutMs,
      keepAliveMs: 0,
      writableHighWaterMark: SOCKET_WRITE_BUFFER,
    });
    let cancelled = false;
    const cancel = (): void => {
      cancelled = true;
      attempt.cancel();
    };
    const dialing = connections.add(() => {
      stream.destroy();
      cancel();
    });
    stream.once('close', cancel);
    attempt.socket.then(
      (socket) => {
        stream.off('close', cancel);
        if (stream.destroyed) {
          socket.destroy();
          dialing();
          log.debug(`stream ${name} closed before the target answered`);
          return;
        }
        // The relay's entry in `connections` first: it must not look empty in between.
        relay(stream, name, socket, targetLabel, dynamic, reader);
        dialing();
      },
      (err: unknown) => {
        stream.off('close', cancel);
        dialing();
        if (cancelled) {
          log.debug(`stream ${name} closed before the target answered`);
          return;
        }
        const why = MpxError.codeOf(err) === 'MPX_ERR_CONNECT_TIMEOUT' ? `timed out after ${config.connectTimeoutMs} ms` : describeError(err);
        log.warn(`stream ${name} refused: cannot connect to target ${targetLabel}: ${why}`);
        // A target stream learns whether its target refused (REFUSED) or was not reached (UNREACHABLE).
        const unreachable = (err as { code?: unknown }).code !== 'ECONNREFUSED';
        const error =
          dynamic && unreachable
            ? new MpxError('MPX_ERR_TARGET_UNREACHABLE', `target ${targetLabel}: ${why}`, { wireCode: WireCode.UNREACHABLE })
            : new MpxError('MPX_ERR_STREAM_REFUSED', `target ${targetLabel}: ${why}`, { wireCode: WireCode.REFUSED });
        stream.destroy(error);
      },
    );
  }

  /** Logs a stream's errors at debug (a closure of its own: it lives as long as the stream). */
  function logStreamErrors(stream: MpxStream, name: string): void {
    stream.on('error', (err: Error) => log.debug(`stream ${name}: ${describeError(err)}`));
  }

  /** Pipes a stream and its connected target socket both ways until both are done. */
  function relay(stream: MpxStream, name: string, socket: net.Socket, targetLabel: string, dynamic: boolean, reader: SocketReader): void {
    const done = connections.add(() => {
      stream.destroy();
      abortSocket(socket);
    });
    log.trace(`stream ${name} connected to ${targetLabel}`);
    if (dynamic) stream.write(Buffer.of(TARGET_CONNECTED));
    // splice never rejects (a failure is in its result), so nothing is left unhandled.
    void splice(stream, socket, { onBytes: countTraffic, abort: abortSocket, bReader: reader }).then((result) => {
      done();
      const counts = `${result.aToB} bytes to the target, ${result.bToA} from it`;
      const code = MpxError.codeOf(result.error);
      if (result.errorSide === 'a' && code === 'MPX_ERR_IDLE_TIMEOUT') {
        // The client's --stream-idle-timeout resets a stream too: its RESET, not ours.
        if (stream.resetReceived) log.info(`stream ${name} reset by the client: no data either way for its --stream-idle-timeout (${counts})`);
        else
          log.info(`stream ${name} reset: no data either way for ${config.limits.streamIdleTimeoutMs / 1000} s (--stream-idle-timeout) (${counts})`);
        return;
      }
      if (result.errorSide === 'b' && result.error !== undefined) {
        // The client's side only learns that the stream was cancelled (RESET carries a code, no cause).
        log.info(`stream ${name} reset: the connection to target ${targetLabel} failed: ${describeError(result.error)} (${counts})`);
        return;
      }
      const why = result.error === undefined ? '' : ` (tunnel: ${describeError(result.error)})`;
      log.debug(`stream ${name} closed: ${counts}${why}`);
    });
  }

  /** Application bytes of every stream (one function for all of them). */
  function countTraffic(direction: 'aToB' | 'bToA', n: number): void {
    if (direction === 'aToB') traffic.in.add(n);
    else traffic.out.add(n);
  }

  const listeners: CarrierListenerHandle[] = [];
  try {
    for (const address of config.listen) {
      const listener = await listenCarriers(address, config.transport, {
        bind: worker === undefined,
        onConnection: (connection, remote) => {
          if (headroom.allows()) return server.admitConnection(connection, { remote });
          refusals.add('carriers', 'MPX_TUNNEL_ERR_DESCRIPTORS');
          refusedLog.log(
            'warn',
            'descriptors',
            'connections refused to keep descriptors for target connections (MPX_TUNNEL_ERR_DESCRIPTORS)',
            `connection from ${remote} refused: ${headroom.open} of ${headroom.limit ?? '?'} file descriptors open, the last ${headroom.reserve} are kept for target connections of existing sessions (raise ulimit -n)`,
          );
          return false;
        },
        onCarrier: (carrier, remote, connection) => {
          groupOf.set(remote, listener.label);
          server.accept(carrier, { remote, connection });
        },
        onClientError: (err, remote) => {
          const host = remoteHost(remote ?? '?');
          const code = (err as { code?: unknown } | undefined)?.code;
          // An upgrade refused with 404 or 426 (@mpx/transport-ws listen.ts): behind a proxy, its configuration's mistake; at warn, by status.
          const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
          const upgrade = code === 'MPX_ERR_UPGRADE_REFUSED' && typeof status === 'number';
          const reason = typeof code === 'string' ? (upgrade ? `${code} ${status}` : code) : 'error';
          refusedLog.log(
            upgrade ? 'warn' : 'info',
            `clientError ${reason} ${host} ${listener.label}`,
            `connections from ${host} on ${listener.label} failed (${reason})`,
            `connection from ${remote ?? '?'} on ${listener.label} failed: ${describeError(err)}`,
          );
        },
        onError: (err) => log.error(`listener ${listener.label}: ${describeError(err)}`),
      });
      listeners.push(listener);
      log.info(worker === undefined ? `listening on ${listener.label}` : `taking carriers of ${listener.label} from the primary`);
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    throw err;
  }
  await noteWebSocketMasking(config.listen, log);
  const reach = [fixed?.label, ...config.allow.rules.map((r) => `${r.text} (--allow)`)].filter((t) => t !== undefined);
  if (fixed !== undefined) log.info(`forwarding streams to ${fixed.label}`);
  if (!config.allow.empty) log.info(`forwarding streams that name their target within --allow ${config.allow.rules.map((r) => r.text).join(', ')}`);
  if (config.key === undefined) {
    const exposed = config.listen.filter((a) => !isLoopback(a.host)).map(formatAddress);
    if (exposed.length > 0) {
      log.warn(
        `no --key set: anyone who can reach ${exposed.join(', ')} can use this tunnel to reach ${reach.join(', ')}; set --key, --key-file or MPX_KEY`,
      );
    }
  }

  const view: TunnelView = {
    liveCarriers: () => {
      const out: LiveCarrier[] = [];
      for (const session of server.sessions.values()) {
        for (const stats of session.carrierStats()) out.push({ group: groupOf.get(stats.label) ?? stats.label, session: session.idHex, stats });
      }
      return out;
    },
    streams: () => [...server.sessions.values()].reduce((n, s) => n + s.streamCount, 0),
    sessions: () => server.sessions.size,
    refusals: () => refusals,
  };
  // The primary prints --stats and serves --metrics for all workers (workers.ts).
  const stopObservers = await startObservers(
    worker === undefined ? config : { ...config, metrics: undefined, statsSeconds: undefined },
    view,
    book,
    traffic,
  );
  if (worker !== undefined) {
    // Loaded here, not at start: a server without --workers does not hold the metrics code.
    const [{ TunnelMetrics, snapshotOf }, { liveState }] = await Promise.all([import('./metrics.js'), import('./live-page.js')]);
    const metrics = new TunnelMetrics(() => snapshotOf(view, book, traffic), { defaults: true, refusals: true });
    serveThePrimary(listeners, metrics, () => liveState(view, traffic));
  }

  return {
    async stop() {
      stopping = true;
      memory.stop();
      await Promise.all(listeners.map((l) => l.close()));
      await connections.drainLogged(config.drainTimeoutMs, 'stream', log);
      server.close(WireCode.GOING_AWAY, 'server shutting down');
      refusedLog.flush();
      await stopObservers();
      await waitUntil(() => carriersUp <= 0, 1000);
    },
  };
}

/**
 * A --workers worker: adopts the connections the primary routes to it, answers
 * its scrapes, and tells it when it is ready (workers.ts).
 */
function serveThePrimary(listeners: readonly CarrierListenerHandle[], metrics: TunnelMetrics, state: () => LiveState): void {
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isMessage(message)) return;
    if (message.mpx === 'carrier') {
      const socket = handle as net.Socket;
      const listener = listeners[message.listen];
      if (listener === undefined) socket.destroy();
      else listener.adopt(socket, Buffer.from(message.head, 'base64'));
    } else if (message.mpx === 'scrape') {
      const id = message.id;
      if (!message.metrics) process.send?.({ mpx: 'scraped', id, state: state() } satisfies WorkerMessage);
      else process.send?.({ mpx: 'scraped', id, metrics: metrics.json(), state: state() } satisfies WorkerMessage);
    }
  });
  process.send?.({ mpx: 'ready' } satisfies WorkerMessage);
}
