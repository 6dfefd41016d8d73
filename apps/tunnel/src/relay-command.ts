// `mpx-tunnel relay`: forward every carrier accepted on --listen to --to,
// byte for byte, without looking inside (the mpx handshake and its key check
// happen end to end between client and server, SPEC §3.4). It replaces
// fregie/mpx's iptables DNAT recipe for a second public IP.
//
// Supported: any listen scheme to any dial scheme. tcp → tcp is the plain
// port forward (TLS inside passes through untouched); a tls/wss listener
// terminates TLS (needs --tls-cert/--tls-key); ws/wss on either side moves the
// byte stream between WebSocket messages and TCP.
import { formatAddress } from './address.js';
import { carrierDialer, listenCarriers, noteWebSocketMasking, type CarrierListenerHandle } from './carriers.js';
import type { RelayConfig } from './config.js';
import { schemeHint } from './dial-hints.js';
import { describeError } from './log.js';
import { splice } from './pipe.js';
import { Connections, type RunningCommand } from './shutdown.js';

export async function runRelay(config: RelayConfig): Promise<RunningCommand> {
  const { log } = config;
  const connections = new Connections();
  const dial = carrierDialer(config.to, config.transport);
  const toLabel = formatAddress(config.to);

  const listeners: CarrierListenerHandle[] = [];
  try {
    for (const address of config.listen) {
      const listener = await listenCarriers(address, config.transport, {
        onCarrier: (incoming, remote) => {
          incoming.on('error', () => {}); // reported by splice once piped
          const aborter = new AbortController();
          const done = connections.add(() => {
            aborter.abort();
            incoming.destroy();
          });
          const onEarlyClose = (): void => aborter.abort();
          incoming.once('close', onEarlyClose);
          log.debug(`relay: carrier from ${remote}, connecting to ${toLabel}`);
          dial(aborter.signal).then(
            (outgoing) => {
              incoming.off('close', onEarlyClose);
              if (incoming.destroyed) {
                outgoing.destroy();
                done();
                return;
              }
              outgoing.on('error', () => {});
              log.info(`relay: ${remote} ⇄ ${toLabel} open`);
              // splice never rejects (a failure is in its result), so nothing is left unhandled.
              void splice(incoming, outgoing).then((result) => {
                done();
                const why = result.error === undefined ? '' : `: ${describeError(result.error)}`;
                log.info(`relay: ${remote} ⇄ ${toLabel} closed (${result.aToB} bytes forwarded, ${result.bToA} back)${why}`);
              });
            },
            (err: unknown) => {
              incoming.off('close', onEarlyClose);
              incoming.destroy();
              done();
              if (!aborter.signal.aborted) {
                log.warn(`relay: cannot connect to ${toLabel} for ${remote}: ${describeError(err)}${schemeHint(err, config.to.scheme)}`);
              }
            },
          );
        },
        onClientError: (err, remote) => log.info(`relay: connection from ${remote ?? '?'} failed: ${describeError(err)}`),
        onError: (err) => log.error(`relay listener: ${describeError(err)}`),
      });
      listeners.push(listener);
      log.info(`listening on ${listener.label}`);
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    throw err;
  }
  await noteWebSocketMasking([...config.listen, config.to], log);
  log.info(`relaying carriers to ${toLabel}`);

  return {
    async stop() {
      await Promise.all(listeners.map((l) => l.close()));
      await connections.drainLogged(config.drainTimeoutMs, 'relayed carrier', log);
    },
  };
}
