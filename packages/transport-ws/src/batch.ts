// Packing of queued writes into WebSocket messages (SPEC §1: the carrier is a
// byte stream, so message boundaries carry no meaning and frames may straddle
// them). Everything the writable side queued while a send was in flight goes
// out together, in messages of at most `maxMessageSize` bytes.
//
// Small chunks (a 12-byte frame header, SPEC §4, and its payload) are copied
// into one message: one WebSocket frame header instead of one per chunk, and on
// the client side ws copies every payload to mask it anyway. A chunk that is a
// whole message on its own is sent as is, and a chunk larger than a message is
// cut into views, not copied.

/**
 * Cut `chunks` into consecutive messages: every message but the last holds
 * exactly `maxMessageSize` bytes, the last holds the rest; empty chunks vanish.
 */
export function packMessages(chunks: readonly Buffer[], maxMessageSize: number): Buffer[] {
  const messages: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  const flush = (): void => {
    if (size === 0) return;
    messages.push(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size));
    parts = [];
    size = 0;
  };
  for (const chunk of chunks) {
    let rest = chunk;
    while (rest.length > 0) {
      const room = maxMessageSize - size;
      const take = rest.length <= room ? rest : rest.subarray(0, room);
      parts.push(take);
      size += take.length;
      rest = rest.subarray(take.length);
      if (size === maxMessageSize) flush();
    }
  }
  flush();
  return messages;
}
