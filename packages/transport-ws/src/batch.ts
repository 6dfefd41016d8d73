// Packing of queued writes into WebSocket messages (SPEC §1: the carrier is a
// byte stream, so message boundaries carry no meaning and frames may straddle
// them). Everything the writable side queued while a send was in flight goes
// out together, in messages of at most `maxMessageSize` bytes.
//
// A message is a list of the queued chunks, not a copy of them: frames.ts
// writes its header and then the chunks as they are (or, masked, into one
// buffer). A chunk larger than the room left in a message is cut into views.

/** One message to send: `parts` hold `size` bytes in all, never zero. */
export interface Message {
  readonly parts: Buffer[];
  readonly size: number;
}

/**
 * Cut `chunks` into consecutive messages: every message but the last holds
 * exactly `maxMessageSize` bytes, the last holds the rest; empty chunks vanish.
 */
export function packMessages(chunks: readonly Buffer[], maxMessageSize: number): Message[] {
  const messages: Message[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  for (const chunk of chunks) {
    let rest = chunk;
    while (rest.length > 0) {
      const room = maxMessageSize - size;
      const take = rest.length <= room ? rest : rest.subarray(0, room);
      parts.push(take);
      size += take.length;
      rest = rest.subarray(take.length);
      if (size === maxMessageSize) {
        messages.push({ parts, size });
        parts = [];
        size = 0;
      }
    }
  }
  if (size > 0) messages.push({ parts, size });
  return messages;
}
