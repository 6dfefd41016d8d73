// What ws masks with (masking.ts): bufferutil's native build where it ships
// one, as installed with this package; the JavaScript loop when ws is told
// not to load it.
import { PLATFORM, bufferutilPrebuilt } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { webSocketMasking } from '../src/index.js';

afterEach(() => {
  delete process.env['WS_NO_BUFFER_UTIL'];
});

describe('webSocketMasking', () => {
  it('finds bufferutil where ws requires it from, native where it ships a build', () => {
    expect(webSocketMasking()).toEqual(
      bufferutilPrebuilt
        ? { native: true, detail: "bufferutil's native build" }
        : { native: false, detail: `bufferutil has no native build for ${PLATFORM}` },
    );
  });

  it('reports the JavaScript loop when WS_NO_BUFFER_UTIL keeps ws from loading bufferutil', () => {
    process.env['WS_NO_BUFFER_UTIL'] = '1';
    expect(webSocketMasking()).toEqual({ native: false, detail: 'WS_NO_BUFFER_UTIL is set' });
  });
});
