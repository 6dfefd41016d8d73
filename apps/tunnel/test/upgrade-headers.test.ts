// The headers of a WebSocket carrier's upgrade request.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webSocketHeaders } from '../src/carriers.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('webSocketHeaders', () => {
  it('sends User-Agent: mpx-tunnel/<version> by default, with --header and --ws-host', () => {
    expect(webSocketHeaders({ headers: { 'X-A': '1' }, wsHost: 'cdn.example.com' })).toEqual({
      'User-Agent': `mpx-tunnel/${version}`,
      'X-A': '1',
      Host: 'cdn.example.com',
    });
  });

  it('leaves the User-Agent to --header when it gives one, in any case, an empty one too', () => {
    expect(webSocketHeaders({ headers: { 'user-agent': 'curl/8.0' } })).toEqual({ 'user-agent': 'curl/8.0' });
    expect(webSocketHeaders({ headers: { 'User-Agent': '' } })).toEqual({ 'User-Agent': '' });
  });
});
