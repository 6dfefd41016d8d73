// Buffers on pages mapped for them alone, which go back to the kernel as soon
// as the collector frees them. No I/O.
//
// Rationale: Node allocates an ArrayBuffer's memory with malloc, and glibc
// keeps what is freed in its heap: after a burst that held tens of MiB of
// payloads, the heap stays resident, fragmented, and the next burst grows it
// further (docs/decisions/0010). A resizable ArrayBuffer is different: V8
// reserves and commits pages for it with mmap, outside malloc, and unmaps
// them when it is collected. For the blocks a process piles up in a burst
// (mpx-tunnel: payload blocks while clients stop reading), not for every
// buffer: each is a system call to map and one to unmap and a mapping of its
// own, and bulk transfers on loopback sent from such buffers ran 7-15% slower
// (iperf-carriers, docs/decisions/0010).

/** Smallest buffer worth pages of its own, bytes. Rationale: below it the map and unmap calls cost more than the copy they hold, and each is one more of the kernel's mappings (vm.max_map_count). */
export const PAGE_BUFFER_MIN = 16 * 1024;

type ResizableArrayBufferConstructor = new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer;

/** Whether this V8 has resizable ArrayBuffers (Node 20 has them on by default). */
const resizable = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';

/**
 * A Buffer of `size` bytes (contents unspecified) whose memory is returned to
 * the kernel when it is collected: pages of its own from PAGE_BUFFER_MIN bytes
 * on, else (or when the kernel refuses another mapping) Node's own allocation.
 */
export function pageBuffer(size: number): Buffer {
  if (resizable && size >= PAGE_BUFFER_MIN) {
    try {
      const memory = new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(size, { maxByteLength: size });
      return Buffer.from(memory, 0, size);
    } catch {
      // Out of mappings or address space: malloc's memory still serves.
    }
  }
  return Buffer.allocUnsafeSlow(size);
}
