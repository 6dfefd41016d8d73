// Typed events for the core's emitters (MpxServer, Session, MpxClient): each
// names its events and their arguments in an interface (`SessionEvents`),
// and extends typedEmitter<ThatInterface>(EventEmitter) instead of
// EventEmitter, so that `server.on('stream', (stream, session) => …)` is
// typed and a misspelt event name does not compile. At run time it is Node's
// EventEmitter, unchanged (the edge files hand it in; this module only types it).
import type { EventEmitter } from 'node:events';

/** Event name → the arguments its listeners get. */
export type EventMap<T> = { [K in keyof T]: unknown[] };

type Listener<Args extends unknown[]> = (...args: Args) => void;

type ListenerMethods = 'on' | 'once' | 'off' | 'addListener' | 'removeListener' | 'prependListener' | 'prependOnceListener' | 'emit';

/** An EventEmitter whose listener methods and emit() take only the events of `Events`, with their arguments. */
export interface TypedEmitter<Events extends EventMap<Events>> extends Omit<EventEmitter, ListenerMethods> {
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  addListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  removeListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  prependListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  prependOnceListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this;
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean;
}

/** `emitter` (Node's EventEmitter) as the base class of an emitter of `Events`. */
export function typedEmitter<Events extends EventMap<Events>>(emitter: typeof EventEmitter): new () => TypedEmitter<Events> {
  return emitter as unknown as new () => TypedEmitter<Events>;
}
