// Graceful exit on SIGINT/SIGTERM: the command stops accepting, open
// connections get --drain-timeout to finish on their own, the rest are
// aborted, then the process exits 0. A second signal exits at once. SIGHUP is
// logged and ignored.
import { plural, type Logger } from './log.js';

/** A started command. */
export interface RunningCommand {
  /** Stop accepting, drain open connections (bounded), close everything. */
  stop(): Promise<void>;
}

/**
 * Resolves once `done()` holds or `timeoutMs` has passed, checking every 20 ms.
 * Used only while exiting, to let CLOSE frames and FINs leave before exit.
 */
export function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (done() || Date.now() - started >= timeoutMs) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
}

/** The open connections of a command, so that shutdown can wait for them. */
export class Connections {
  readonly #open = new Set<() => void>();
  #onEmpty: (() => void) | undefined;

  get size(): number {
    return this.#open.size;
  }

  /** Registers a connection with its abort function; call the returned function when it is closed. */
  add(abort: () => void): () => void {
    this.#open.add(abort);
    return () => {
      this.#open.delete(abort);
      if (this.#open.size === 0) this.#onEmpty?.();
    };
  }

  /**
   * drain(), logging what it waits for and what it aborts, each open
   * connection called a `noun` ("connection", "stream", "relayed carrier").
   */
  async drainLogged(timeoutMs: number, noun: string, log: Logger): Promise<void> {
    const open = this.size;
    if (open > 0) log.info(`waiting up to ${timeoutMs} ms for ${open} open ${plural(open, noun)}`);
    const aborted = await this.drain(timeoutMs);
    if (aborted > 0) log.info(`aborted ${aborted} ${plural(aborted, noun)} still open after the drain timeout`);
  }

  /**
   * Waits until every connection has closed, or `timeoutMs` has passed and
   * aborts what is left. Resolves with the number aborted.
   */
  drain(timeoutMs: number): Promise<number> {
    if (this.#open.size === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onEmpty = undefined;
        const left = [...this.#open];
        for (const abort of left) abort();
        resolve(left.length);
      }, timeoutMs);
      this.#onEmpty = () => {
        clearTimeout(timer);
        this.#onEmpty = undefined;
        resolve(0);
      };
    });
  }
}

/**
 * Runs `stop` on the first SIGINT or SIGTERM, then exits 0 (1 when `stop`
 * failed). A second signal while stopping exits 1 at once.
 */
export function exitOnSignals(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  log: Logger,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`received ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`received ${signal}, shutting down`);
    stop(signal).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/**
 * Settings and the key are read once, at start, and logs go to stderr: on
 * SIGHUP there is nothing to reload or reopen. Say so rather than die (Node's
 * default). Installed before the command starts, so that no SIGHUP is fatal.
 */
export function ignoreHangup(log: Logger): void {
  process.on('SIGHUP', () =>
    log.info(
      'received SIGHUP: ignored; settings and the key are read only at start (restart to apply changes) and logs go to stderr, so nothing is reopened',
    ),
  );
}
