// `mpx-tunnel client`: keep -p carriers to every --server address (MpxClient
// redials with backoff), accept local TCP connections on --listen, and give
// each one an mpx stream (SPEC §6), piped both ways with half-close. A stream
// the server refuses (its target failed, or --max-streams, SPEC §6.2) closes
// the local connection with a FIN and a log line saying why.
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { MpxClient, MpxError, MpxStream, WireCode, YOUNG_CARRIER_MS, readTargetReply, type CarrierStats, type ClientSession } from '@mpx/core';
import { readAcceptedWith } from '@mpx/transport-tcp';
import { formatAddress, hostPort } from './address.js';
import { CarrierAges, carrierDownText } from './carrier-down.js';
import { carrierDialer, noteWebSocketMasking } from './carriers.js';
import { allocateFeedbackAtFirstCarrier } from './feedback-allocation.js';
import type { ClientConfig } from './config.js';
import { limitHint } from './limits.js';
import { startMemoryRelease } from './memory-release.js';
import { describeError, plural } from './log.js';
import { startObservers } from './observers.js';
import { OpenStorm } from './open-storm.js';
import { PayloadPool } from './payload-pool.js';
import { acceptProxy, type ProxyRequest } from './proxy-listener.js';
import { checkLocalAddresses, describeEntry, entryLabel } from './server-entry.js';
import { SOCKET_WRITE_BUFFER, abortSocket, splice, type Side, type SpliceState } from './pipe.js';
import { Connections, waitUntil, type RunningCommand } from './shutdown.js';
import { DialCauses, WAITING_NOTE_MS, waitingLine } from './dial-causes.js';
import { schemeHint } from './dial-hints.js';
import { readerForStream, type SocketReader } from './socket-reader.js';
import { CarrierBook, Traffic, carrierUse, type TunnelView } from './stats.js';

function isAuthFailure(err: unknown): boolean {
  return MpxError.isMpxError(err) && (err.code === 'MPX_ERR_AUTH_FAILED' || err.wireCode === WireCode.AUTH_FAILED);
}

/**
 * A carrier refused with SESSION_UNKNOWN while the session has carriers up
 * elsewhere reached another server than they did: two --server addresses of
 * different servers, or a balancer in front that does not route by session.
 */
function misroutedHint(err: unknown, carriersUp: number): string {
  if (carriersUp === 0 || !MpxError.isMpxError(err) || err.wireCode !== WireCode.SESSION_UNKNOWN) return '';
  return '; that server does not hold the session of the carriers up: every --server address must reach the same mpx server, and a balancer in front must route by session (see Scaling out in the README)';
}

export async function runClient(config: ClientConfig): Promise<RunningCommand> {
  const { log } = config;
  await checkLocalAddresses(config.servers);
  const traffic = new Traffic();
  const book = new CarrierBook();
  const connections = new Connections();
  // What the client reads from its local connections goes into reused blocks, given back once the server acknowledged it (payload-pool.ts).
  const payloads = new PayloadPool();
  const client = new MpxClient({
    payloadOwner: payloads,
    ...config.limits,
    ...(config.key === undefined ? {} : { key: config.key }),
    ...(config.graceMs === undefined ? {} : { graceMs: config.graceMs }),
    targets: config.servers.map((entry) => ({
      label: entryLabel(entry),
      weight: entry.weight,
      dial: carrierDialer(entry, config.transport, entry.from),
      role: entry.role,
      direction: entry.direction,
    })),
    carriersPerTarget: config.carriersPerServer,
    maxCarrierAgeMs: config.maxCarrierAgeMs,
  });
  /** Each target's scheme, for what its dial errors suggest (dial-hints.ts). */
  const schemeOf = new Map(config.servers.map((entry) => [entryLabel(entry), entry.scheme]));
  /** The dial errors each target logged at warn since its last carrier came up (dial-causes.ts). */
  const dialCauses = new DialCauses();

  const ages = new CarrierAges();

  client.on('carrierUp', (label: string, stats: CarrierStats) => {
    allocateFeedbackAtFirstCarrier(log);
    dialCauses.forget(label);
    ages.up(stats.id);
    log.info(`carrier #${stats.id} to ${label} up (weight ${stats.weight}${carrierUse(stats)})`);
  });
  client.on('carrierDown', (label: string, err: MpxError | undefined, stats: CarrierStats, redialInMs?: number) => {
    const why = carrierDownText(err, ages.down(stats.id));
    if (redialInMs === undefined) {
      log.info(`carrier #${stats.id} to ${label} down${why}`);
      return;
    }
    // SPEC §9 "Redial": it closed right after it came up, so the redial waits.
    log.warn(
      `carrier #${stats.id} to ${label} down${why}; it closed within ${YOUNG_CARRIER_MS / 1000} s of coming up (something on the path may cut carriers once data flows), redialling in ${redialInMs} ms`,
    );
  });
  client.on('dialError', (label: string, err: Error, nextDelayMs: number) => {
    const why = isAuthFailure(err)
      ? 'authentication failed (the server does not accept this --key)'
      : `${describeError(err)}${limitHint(err, 'carrier')}${misroutedHint(err, client.session?.carrierCount ?? 0)}${schemeHint(err, schemeOf.get(label) ?? 'tcp')}`;
    const line = `cannot open a carrier to ${label}: ${why}; retrying in ${nextDelayMs} ms`;
    if (dialCauses.first(label, why)) log.warn(line);
    else log.debug(line);
  });
  client.on('session', (session: ClientSession) => {
    log.info(`session ${session.idHex.slice(0, 8)} started`);
    session.on('carrierClose', (stats: CarrierStats) => book.closed(stats.label, stats));
  });
  client.on('sessionClose', (err?: MpxError) => {
    if (err === undefined) log.info('session closed');
    else log.warn(`session closed: ${describeError(err)}; open connections through it were reset`);
  });

  const storm = new OpenStorm();
  const local = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: SOCKET_WRITE_BUFFER }, (socket) => onConnection(socket));

  function onConnection(socket: net.Socket): void {
    storm.opened();
    const from = hostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    socket.on('error', ignore); // reported through splice below
    if (config.proxy !== undefined) {
      void proxyConnection(socket, from, config.proxy);
      return;
    }
    let stream: MpxStream;
    try {
      stream = client.openStream();
    } catch (err) {
      log.warn(`connection from ${from} dropped: ${describeError(err)}`);
      socket.destroy();
      return;
    }
    // Read into a reused buffer, each read sized to what the stream takes
    // (socket-reader.ts), as the server reads its targets. Here, in the
    // listener's 'connection' callback, nothing has been read yet; a proxy
    // connection's handshake is read with 'data', so it is not done there.
    const reader = readerForStream(stream, payloads);
    pipeConnection(socket, stream, from, readAcceptedWith(socket, reader.onread) ? reader : undefined);
  }

  /**
   * A connection to the socks5:// or http:// listener: the proxy handshake
   * names the target, which travels in a target stream (SPEC §6.6); the
   * application hears success only once the server has connected it.
   */
  async function proxyConnection(socket: net.Socket, from: string, proxy: NonNullable<ClientConfig['proxy']>): Promise<void> {
    const timer = setTimeout(() => socket.destroy(), config.connectTimeoutMs);
    let request: ProxyRequest;
    try {
      request = await acceptProxy(socket, proxy.kind, proxy.credentials);
    } catch (err) {
      log.info(`${proxy.kind} connection from ${from} closed: ${describeError(err)}`);
      return;
    } finally {
      clearTimeout(timer);
    }
    const to = hostPort(request.target.host, request.target.port);
    let stream: MpxStream;
    try {
      stream = client.openStream({ target: request.target });
    } catch (err) {
      log.warn(`${proxy.kind} connection from ${from} to ${to} dropped: ${describeError(err)}`);
      request.fail(undefined, describeError(err));
      return;
    }
    const answered = readTargetReply(stream);
    // Until the answer, closing the application's side resets the stream.
    const onEarlyClose = (): void => {
      stream.destroy();
    };
    socket.once('close', onEarlyClose);
    try {
      await answered;
    } catch (err) {
      socket.off('close', onEarlyClose);
      if (socket.destroyed) {
        log.debug(`${proxy.kind} connection from ${from} to ${to} closed by the application before the server answered`);
        return;
      }
      const code = (err as Partial<MpxError>).code;
      log.info(`${proxy.kind} connection from ${from} to ${to} refused by the server: ${describeError(err)}`);
      request.fail(code, describeError(err));
      stream.destroy();
      return;
    }
    socket.off('close', onEarlyClose);
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    request.succeed();
    pipeConnection(socket, stream, `${from} → ${to}`);
  }

  function pipeConnection(socket: net.Socket, stream: MpxStream, from: string, reader?: SocketReader): void {
    const name = `${from} (stream ${stream.id})`;
    log.debug(`connection from ${name} opened`);
    const done = connections.add(() => {
      abortSocket(socket);
      stream.destroy();
    });
    // splice never rejects (a failure is in its result), so nothing is left unhandled.
    void splice(socket, stream, { onBytes: countTraffic, abort: abortOther, aReader: reader }).then((result) => {
      done();
      const code = MpxError.codeOf(result.error);
      const counts = `${result.aToB} bytes sent, ${result.bToA} received`;
      const refused = result.errorSide === 'b' && isRefusal(result.error, stream, result.bToA);
      if (refused && code === 'MPX_ERR_STREAM_REFUSED') {
        log.info(`connection from ${name} closed: the server could not connect to its target (stream refused; the server's log has the cause)`);
      } else if (refused && code === 'MPX_ERR_GOING_AWAY') {
        log.info(`connection from ${name} closed: the server is shutting down (stream refused, GOING_AWAY)`);
      } else if (refused) {
        log.warn(
          `connection from ${name} closed: the server refused the stream, it holds its limit of open streams (LIMIT_EXCEEDED, server --max-streams)`,
        );
      } else if (result.errorSide === 'b' && stream.resetReceived && (result.error as MpxError | undefined)?.wireCode === WireCode.CANCEL) {
        // RESET carries a code, not a cause: the server logs the cause on its side.
        log.info(
          `connection from ${name} reset by the server: its connection to the target failed or was reset, or it was aborted there (CANCEL; the server's log has the cause) (${counts})`,
        );
      } else if (result.errorSide === 'b') {
        log.info(`connection from ${name} reset: ${describeError(result.error)}${limitHint(result.error, 'stream')} (${counts})`);
      } else if (result.error !== undefined) {
        log.debug(`connection from ${name} closed by the application: ${describeError(result.error)} (${counts})`);
      } else {
        log.debug(`connection from ${name} closed (${counts})`);
      }
    });
  }

  /** Application bytes of every connection (one function for all of them: 10,000 open connections, docs/decisions/0006-idle-memory.md). */
  function countTraffic(direction: 'aToB' | 'bToA', n: number): void {
    if (direction === 'aToB') traffic.out.add(n);
    else traffic.in.add(n);
  }

  await new Promise<void>((resolve, reject) => {
    local.once('error', reject);
    const host = config.listen.host === '' ? undefined : config.listen.host;
    local.listen({ host, port: config.listen.port }, () => {
      local.off('error', reject);
      resolve();
    });
  });
  // From here on; a failed listen is reported once, as the reason the client cannot start.
  local.on('error', (err) => log.error(`local listener: ${describeError(err)}`));
  const bound = local.address() as net.AddressInfo;
  const kind = config.proxy === undefined ? '' : `${config.proxy.kind}://`;
  log.info(
    `listening on ${kind}${hostPort(bound.address, bound.port)}${config.proxy === undefined ? '' : ` (${config.proxy.kind === 'socks5' ? 'SOCKS5' : 'HTTP CONNECT'} proxy${config.proxy.credentials === undefined ? '' : ' with a user name and password'})`}`,
  );
  client.start();
  await noteWebSocketMasking(config.servers, log);
  log.info(
    `connecting to ${config.servers.map((s) => `${formatAddress(s)} (${describeEntry(s)})`).join(', ')} with ${config.carriersPerServer} ${plural(config.carriersPerServer, 'carrier')} each`,
  );

  const view: TunnelView = {
    liveCarriers: () => {
      const session = client.stats().session;
      return (session?.carriers ?? []).map((stats) => ({ group: stats.label, session: session?.id, stats }));
    },
    streams: () => client.session?.streamCount ?? 0,
    sessions: () => (client.session !== undefined && !client.session.closed ? 1 : 0),
  };
  const stopObservers = await startObservers(config, view, book, traffic);
  const waitingNote = setInterval(() => {
    const session = client.session;
    if (session === undefined || session.closed || session.carrierCount > 0 || session.streamCount === 0) return;
    log.warn(waitingLine(session.streamCount, client.options.graceMs, dialCauses.latest()));
  }, WAITING_NOTE_MS).unref();
  const memory = startMemoryRelease(log);

  return {
    async stop() {
      memory.stop();
      clearInterval(waitingNote);
      local.close(); // stops accepting; its callback would wait for every connection
      await connections.drainLogged(config.drainTimeoutMs, 'connection', log);
      const session = client.session;
      await client.close();
      await stopObservers();
      // Let the CLOSE frames leave before the process exits (bounded).
      await waitUntil(() => (session?.carrierCount ?? 0) === 0, 1000);
    },
  };
}

/** splice's abort of a connection (a = the local socket, b = the stream): one function for all connections. */
function abortOther(other: Duplex, err: Error | undefined, failed: Side, state: SpliceState): void {
  if (failed === 'a') {
    other.destroy(); // the local application went away: RESET the stream
  } else if (isRefusal(err, state.b, state.bToA)) {
    closeGently(other as net.Socket);
  } else {
    abortSocket(other);
  }
}

/**
 * A stream the server never served: the server reset it (a RESET frame, not
 * the session's end) because its target refused (REFUSED), it was over the
 * server's --max-streams (LIMIT_EXCEEDED, SPEC §6.2) or the server is
 * shutting down (GOING_AWAY, SPEC §6.4), before any byte came back. No byte
 * of it reached the target, so the application gets a FIN, as from a closed
 * port. Anything else, a refusal code after data included (a
 * session that ended with that code), is an abort: a FIN then would pass a
 * truncated reply for a complete one.
 */
function isRefusal(err: unknown, stream: Duplex, received: number): boolean {
  const code = MpxError.codeOf(err);
  const refusal = code === 'MPX_ERR_STREAM_REFUSED' || code === 'MPX_ERR_LIMIT_EXCEEDED' || code === 'MPX_ERR_GOING_AWAY';
  return refusal && received === 0 && stream instanceof MpxStream && stream.resetReceived;
}

/**
 * Ends a local connection with a FIN rather than a RST, reading and
 * discarding what the application still sends, and destroys it if the
 * application does not close its side within two seconds.
 */
function closeGently(socket: net.Socket): void {
  socket.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), 2000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** An error listener that leaves the reporting to someone else. */
function ignore(): void {}
