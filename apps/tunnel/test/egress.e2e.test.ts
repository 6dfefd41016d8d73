// --server entries with from=: each entry's carriers leave from its own local
// address (two ISPs, Wi-Fi + LTE). On loopback, 127.0.0.2 and 127.0.0.3 stand
// for the two uplinks; the server's log shows where each carrier came from.
import { afterEach, describe, expect, it } from 'vitest';
import { echoThrough, killAll, runToExit, startEcho, Tunnel, type EchoServer } from './helpers.js';

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

describe('egress addresses (from=)', () => {
  it('dials each entry from its from= address, as the server sees it', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`]);
    const port = await server.port();
    const client = new Tunnel([
      'client', '--listen', '127.0.0.1:0', '-p', '2',
      '--server', `127.0.0.1:${port}|1|from=127.0.0.2,127.0.0.1:${port}|1|from=127.0.0.3`,
    ]);
    const local = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
    await server.waitForCount(/carrier #\d+ from 127\.0\.0\.2:\d+ up/, 2);
    await server.waitForCount(/carrier #\d+ from 127\.0\.0\.3:\d+ up/, 2);
    expect(server.count(/carrier #\d+ from 127\.0\.0\.1:\d+ up/)).toBe(0);
    const { sent, received } = await echoThrough(local, 1024 * 1024, 4242);
    expect(received).toEqual(sent);
    expect(client.count(/carrier #\d+ to tcp:\/\/127\.0\.0\.1:\d+ from 127\.0\.0\.3 up/)).toBe(2);
  });

  it('binds an IPv6 from= address too', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '[::1]:0', '--target', `127.0.0.1:${echo.port}`]);
    const port = await server.port(/listening on tcp:\/\/\[::1\]:(\d+)/);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '-p', '1', '--server', `[::1]:${port}|from=[::1]`]);
    const local = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
    await server.waitFor(/carrier #\d+ from \[::1\]:\d+ up/);
    const { sent, received } = await echoThrough(local, 64 * 1024, 4244);
    expect(received).toEqual(sent);
  });

  it('tells the server which carriers are standby or one-way, and carries data over them', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`]);
    const port = await server.port();
    const client = new Tunnel([
      'client', '--listen', '127.0.0.1:0', '-p', '1',
      '--server', `127.0.0.1:${port}|up,127.0.0.1:${port}|down|from=127.0.0.2,127.0.0.1:${port}|backup|from=127.0.0.3`,
    ]);
    const local = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
    await server.waitFor(/carrier #\d+ from 127\.0\.0\.1:\d+ up \(session \w+, weight 1, up only\)/);
    await server.waitFor(/carrier #\d+ from 127\.0\.0\.2:\d+ up \(session \w+, weight 1, down only\)/);
    await server.waitFor(/carrier #\d+ from 127\.0\.0\.3:\d+ up \(session \w+, weight 1, backup\)/);
    const { sent, received } = await echoThrough(local, 1024 * 1024, 4243);
    expect(received).toEqual(sent);
  });

  it('refuses to start (exit 2) when a from= address is not on this host, naming the entry and option', async () => {
    const exit = await runToExit(['client', '--listen', '127.0.0.1:0', '--server', '127.0.0.1:9|from=192.0.2.77']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/--server entry 'tcp:\/\/127\.0\.0\.1:9\|1\|from=192\.0\.2\.77': option 'from=192\.0\.2\.77' names an address this host does not have \(EADDRNOTAVAIL\)/);
  });
});
