// The command line as users meet it: argument errors, fregie/mpx spelling and
// environment, a target that refuses, signals, --metrics and --stats.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tlsFixturePath } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, valueOf } from './exposition.js';
import {
  CLI,
  closedPort,
  connect,
  echoThrough,
  killAll,
  runToExit,
  startEcho,
  stuckTarget,
  Tunnel,
  type EchoServer,
  CLIENT_PORT,
  SERVER_PORT,
} from './helpers.js';

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

describe('argument errors', () => {
  it.each([
    [[], /choose a command: server, client or relay/],
    [['server', '--listen', '127.0.0.1:0'], /--target is required \(or --allow/],
    [
      ['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--bogus'],
      /unknown flag for server: --bogus \(see mpx-tunnel server --help\)/,
    ],
    [['server', '--listen', 'http://x:1', '--target', '127.0.0.1:1'], /invalid address 'http:\/\/x:1': unsupported scheme 'http'/],
    [['server', '--listen', 'tls://127.0.0.1:0', '--target', '127.0.0.1:1'], /needs --tls-cert and --tls-key/],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1|0'], /invalid weight '0' in 'a:1\|0'/],
    [['client', '--listen', '127.0.0.1:0', '--server', '::1:5512'], /IPv6 address must be written in brackets/],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '-p', 'many'], /-p \(carriers per server address\) must be an integer/],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--key', 'x', '--key-file', 'f'], /Arguments key and key-file are mutually exclusive/],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--tls-ca', '/nonexistent/ca.pem'],
      /cannot read --tls-ca file '\/nonexistent\/ca.pem': ENOENT/,
    ],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--key-file', '/dev/zero'],
      /--key-file file '\/dev\/zero' is a character device; it must be a regular file of at most 4096 bytes/,
    ],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--log-level', 'loud'], /Invalid values: Argument: log-level, Given: "loud"/],
    [['relay', '--listen', '127.0.0.1:0'], /Missing required argument: to/],
    [
      ['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--max-streams', '0'],
      /--max-streams must be a whole number from 1 to 2147483647, got '0'/,
    ],
    [['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--max-frame'], /Not enough arguments following: max-frame/],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--session-window', '64 parsecs'],
      /--session-window must be a whole number of bytes .* got '64 parsecs'/,
    ],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--stream-idle-timeout', 'soon'], /--stream-idle-timeout must be a duration from 0/],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--dead-after', '500ms'],
      /--dead-after \(500ms\) must be longer than --ping-interval \(1s\)/,
    ],
    [['client', '--listen', '127.0.0.1:0', '--server', 'a:1', '--max-sessions', '5'], /unknown flag for client: --max-sessions/],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'ws://127.0.0.1:30200/tunnel#frag'],
      /invalid address 'ws:\/\/127\.0\.0\.1:30200\/tunnel#frag': a WebSocket URL takes no fragment/,
    ],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'ws://h/x', '--header', 'X-Bad: a\x01b'],
      /--header 'X-Bad: a\\x01b': the value holds a character not allowed in an HTTP header/,
    ],
    [
      ['client', '--listen', '127.0.0.1:0', '--server', 'ws://h/x', '--ws-max-message', '4MiB'],
      /--ws-max-message must be a whole number of bytes from 1KiB to 1MiB/,
    ],
    [
      ['relay', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--handshake-timeout', '1s'],
      /unknown flag for relay: --handshake-timeout: the relay passes carriers through without reading them/,
    ],
    // The relay does not look inside carriers: what only a session uses is refused, as the limits are.
    [
      ['relay', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--stats', '5'],
      /unknown flag for relay: --stats: the relay passes carriers through without reading them/,
    ],
    [
      ['relay', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--metrics', '127.0.0.1:0'],
      /unknown flag for relay: --metrics: the relay passes carriers through without reading them/,
    ],
    [
      ['relay', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--grace', '5'],
      /unknown flag for relay: --grace: the relay passes carriers through without reading them/,
    ],
    [
      ['relay', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--key', 'k'],
      /unknown flag for relay: --key: the relay passes carriers through without reading them/,
    ],
  ])('%j exits 2 with one clear line', async (args, message) => {
    const { code, stderr } = await runToExit(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^mpx-tunnel: /);
    expect(stderr).toMatch(message);
  });

  it('exits 2 with one line at once for a --key-file that is a named pipe with no writer', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'mpx-key-')), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const { code, stderr } = await runToExit(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--key-file', fifo]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `mpx-tunnel: --key-file file '${fifo}' is a named pipe; it must be a regular file of at most 4096 bytes (see mpx-tunnel server --help)`,
    );
  });

  it('exits 2 with one line naming the flag and the file for a --tls-key or --tls-ca file that is not PEM', async () => {
    const notPem = join(mkdtempSync(join(tmpdir(), 'mpx-tls-')), 'notpem.txt');
    writeFileSync(notPem, 'not PEM\n');
    const server = await runToExit([
      'server',
      '--listen',
      'tls://127.0.0.1:0',
      '--target',
      '127.0.0.1:1',
      '--tls-cert',
      tlsFixturePath('localhost-cert.pem'),
      '--tls-key',
      notPem,
    ]);
    expect(server.code).toBe(2);
    expect(server.stderr).toBe(
      `mpx-tunnel: --tls-key file '${notPem}' is not a PEM private key (ERR_OSSL_UNSUPPORTED) (see mpx-tunnel server --help)`,
    );
    const client = await runToExit(['client', '--listen', '127.0.0.1:0', '--server', 'tls://127.0.0.1:1', '--tls-ca', notPem]);
    expect(client.code).toBe(2);
    expect(client.stderr).toBe(`mpx-tunnel: --tls-ca file '${notPem}' has no PEM certificate (see mpx-tunnel client --help)`);
  });

  it('lists in relay --help only the flags the relay uses', async () => {
    const { code, stdout } = await runToExit(['relay', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--listen',
      '--to',
      '--tls-cert',
      '--ws-host',
      '--header',
      '--ws-max-message',
      '--connect-timeout',
      '--drain-timeout',
      '--log-level',
    ]) {
      expect(stdout).toContain(flag);
    }
    for (const flag of ['--grace', '--stats', '--metrics', '--key', '--key-file', '--max-frame'])
      expect(stdout).not.toMatch(new RegExp(`${flag}\\b`));
  });

  it('prints help with examples and exits 0', async () => {
    const { code, stdout } = await runToExit(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('-listen 0.0.0.0:5512 -target 127.0.0.1:8488');
    expect(stdout).toContain('relay --listen');
    const sub = await runToExit(['client', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--server, -s|-s, --server/);
    expect(sub.stdout).toContain('--ws-host');
    expect(sub.stdout).toMatch(/--session-window .*\[default: \d+[KMG]iB\]/);
    const server = await runToExit(['server', '--help']);
    for (const flag of [
      '--max-sessions',
      '--max-carriers-per-session',
      '--max-streams',
      '--max-pending-handshakes',
      '--handshake-timeout',
      '--max-frame',
      '--stream-window',
      '--stream-idle-timeout',
      '--ping-interval',
      '--dead-after',
    ]) {
      expect(server.stdout).toContain(flag);
    }
    expect(server.stdout).toContain('Unlike fregie/mpx, which cuts any connection idle for 10 s, off by default');
  });

  it("runs a command without loading yargs' help renderer, which --help loads", async () => {
    // NODE_DEBUG=module logs each module Node's loader is asked for (cliui and string-width load by require, yargs-lazy.ts).
    const renderer = /REQUEST (cliui|string-width) /;
    const help = await runToExit(['server', '--help'], { NODE_DEBUG: 'module' });
    expect(help.code).toBe(0);
    expect(help.stderr).toMatch(renderer);
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1'], { NODE_DEBUG: 'module' });
    await server.waitFor(SERVER_PORT);
    // The loader's log is on in this process too (yargs' own parts are in the bundle, so no request names them).
    expect(server.log).toMatch(/MODULE \d+: load built-in module node:net/);
    expect(server.log).not.toMatch(renderer);
  });

  it('runs a server from the one file of the bin, with or without --metrics, loading no other module file and never prom-client', async () => {
    // NODE_DEBUG=esm logs each ES module the loader stores, NODE_DEBUG=module each CommonJS file it loads
    // (docs/decisions/0012-bundled-bin.md: every module file loaded made TurboFan compile the loader). The
    // metrics code is in the bin too, run only by --metrics (decision 0011).
    const env = { NODE_DEBUG: 'esm,module' };
    const moduleFiles = (tunnel: Tunnel): { es: string[]; commonJs: string[] } => ({
      es: tunnel.lines.flatMap((line) => /^ESM \d+: Storing (file:\S+)/.exec(line)?.[1] ?? []),
      commonJs: tunnel.lines.filter((line) => /^MODULE \d+: load "/.test(line)),
    });
    const plain = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1'], env);
    await plain.waitFor(SERVER_PORT);
    expect(moduleFiles(plain)).toEqual({ es: [pathToFileURL(CLI).href], commonJs: [] });
    const metrics = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--metrics', '127.0.0.1:0'], env);
    const url = (await metrics.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1] as string;
    expect((await fetch(url)).status).toBe(200);
    expect(moduleFiles(metrics)).toEqual({ es: [pathToFileURL(CLI).href], commonJs: [] });
    expect(metrics.log).not.toContain('prom-client');
  });

  it('exits 1 with a log line when the listen address is taken', async () => {
    echo = await startEcho();
    const { code, stderr } = await runToExit(['server', '--listen', `127.0.0.1:${echo.port}`, '--target', '127.0.0.1:1']);
    expect(code).toBe(1);
    expect(stderr).toContain(`ERROR cannot start: EADDRINUSE on 127.0.0.1:${echo.port}`);
    // The client says it once, with the address too.
    const client = await runToExit(['client', '--listen', `127.0.0.1:${echo.port}`, '--server', '127.0.0.1:1']);
    expect(client.code).toBe(1);
    expect(client.stderr.match(/EADDRINUSE/g)).toEqual(['EADDRINUSE']);
    expect(client.stderr).toContain(`ERROR cannot start: EADDRINUSE on 127.0.0.1:${echo.port}`);
  });
});

describe('fregie/mpx compatibility', () => {
  it('runs server and client from the single-dash flags', async () => {
    echo = await startEcho();
    const server = new Tunnel(['-listen', '127.0.0.1:0', '-target', `127.0.0.1:${echo.port}`]);
    const serverPort = await server.port(SERVER_PORT);
    await server.waitFor(/fregie\/mpx-style arguments: running as server/);
    const client = new Tunnel(['-listen', '127.0.0.1:0', '-server', `127.0.0.1:${serverPort}|1,127.0.0.1:${serverPort}|2`, '-p', '3']);
    const port = await client.port(CLIENT_PORT);
    await client.waitFor(/running as client/);
    await client.waitForCount(/carrier #\d+ to tcp:\/\/127\.0\.0\.1:\d+ up/, 6);
    const { sent, received } = await echoThrough(port, 1024 * 1024, 5001);
    expect(received).toEqual(sent);
  });

  it("runs from LISTEN_ADDR, TARGET_ADDR, SERVER_ADDR and CONCURRENT_NUM like fregie/mpx's Docker image", async () => {
    echo = await startEcho();
    const server = new Tunnel([], { LISTEN_ADDR: '127.0.0.1:0', TARGET_ADDR: `127.0.0.1:${echo.port}`, SERVER_ADDR: '' });
    const serverPort = await server.port(SERVER_PORT);
    await server.waitFor(/fregie\/mpx-style environment: running as server/);
    const client = new Tunnel([], { LISTEN_ADDR: '127.0.0.1:0', SERVER_ADDR: `127.0.0.1:${serverPort}|2`, CONCURRENT_NUM: '3' });
    const port = await client.port(CLIENT_PORT);
    await client.waitFor(/with 3 carriers each/);
    const { sent, received } = await echoThrough(port, 1024 * 1024, 5002);
    expect(received).toEqual(sent);
  });

  it("accepts the Docker entrypoint's -flag=value form with empty values", async () => {
    echo = await startEcho();
    const server = new Tunnel(['-listen=127.0.0.1:0', '-server=', `-target=127.0.0.1:${echo.port}`, '-p=4']);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['-listen=127.0.0.1:0', `-server=127.0.0.1:${serverPort}`, '-target=', '-p=1']);
    const port = await client.port(CLIENT_PORT);
    const { sent, received } = await echoThrough(port, 64 * 1024, 5003);
    expect(received).toEqual(sent);
  });
});

describe('runtime behaviour', () => {
  it('closes the client connection cleanly with a log line when the target refuses', async () => {
    const target = await closedPort();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target}`]);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
    const socket = await connect(await client.port(CLIENT_PORT));
    const errors: Error[] = [];
    socket.on('error', (err) => errors.push(err));
    socket.write('hello?');
    socket.resume();
    await once(socket, 'end'); // a FIN, not a reset
    socket.end();
    await once(socket, 'close');
    expect(errors).toEqual([]);
    await server.waitFor(new RegExp(`WARN  stream \\w+/1 refused: cannot connect to target 127\\.0\\.0\\.1:${target}: ECONNREFUSED$`));
    await client.waitFor(
      /INFO {2}connection from 127\.0\.0\.1:\d+ \(stream 1\) closed: the server could not connect to its target \(stream refused; the server's log has the cause\)/,
    );
  });

  it('gives up the dial to a target that does not answer once the application resets the connection, long before --connect-timeout', async () => {
    const stuck = await stuckTarget();
    try {
      const server = new Tunnel([
        'server',
        '--listen',
        '127.0.0.1:0',
        '--target',
        `127.0.0.1:${stuck.port}`,
        '--connect-timeout',
        '60s',
        '--log-level',
        'debug',
      ]);
      const serverPort = await server.port(SERVER_PORT);
      const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
      // The second connection shows the server still serving, each dial given up the same way.
      for (const id of [1, 3]) {
        const socket = await connect(await client.port(CLIENT_PORT));
        socket.on('error', () => {});
        socket.write('hello?');
        await server.waitFor(new RegExp(`DEBUG stream \\w+/${id} opened, connecting to`));
        // A reset, not a FIN: a half-closed connection still waits for its answer.
        socket.resetAndDestroy();
        await server.waitFor(new RegExp(`DEBUG stream \\w+/${id} closed before the target answered`));
      }
      expect(server.count(/cannot connect to target/)).toBe(0);
    } finally {
      await killAll();
      await stuck.close();
    }
  });

  it('exits 0 on SIGTERM after draining, aborting what outlives --drain-timeout', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`]);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--drain-timeout', '0.5']);
    const port = await client.port(CLIENT_PORT);
    const idle = await connect(port);
    const idleErrors: NodeJS.ErrnoException[] = [];
    idle.on('error', (err) => idleErrors.push(err));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    idle.write('x');
    await once(idle, 'data');

    expect(await client.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(client.log).toMatch(/received SIGTERM, shutting down/);
    expect(client.log).toMatch(/aborted 1 connection still open after the drain timeout/);
    await idleClosed;
    expect(idleErrors.map((e) => e.code)).toEqual(['ECONNRESET']); // aborted, not ended as if complete
    expect(await server.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(server.log).toMatch(/received SIGINT, shutting down/);
  });

  it('refuses a connection opened while the server drains with GOING_AWAY, and the client says so', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--drain-timeout', '10']);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
    const port = await client.port(CLIENT_PORT);
    // An open connection keeps the server draining (up to its --drain-timeout).
    const open = await connect(port);
    open.on('error', () => {});
    open.write('x');
    await once(open, 'data');
    server.child.kill('SIGTERM');
    await server.waitFor(/waiting up to 10000 ms for 1 open stream\b/);

    const late = await connect(port);
    const errors: Error[] = [];
    late.on('error', (err) => errors.push(err));
    late.write('hello?');
    late.resume();
    await once(late, 'end'); // a FIN, as from a closed port: nothing reached the target
    late.end();
    await once(late, 'close');
    expect(errors).toEqual([]);
    await client.waitFor(
      /INFO {2}connection from 127\.0\.0\.1:\d+ \(stream \d+\) closed: the server is shutting down \(stream refused, GOING_AWAY\)/,
    );
    expect(client.count(/could not connect to its target/)).toBe(0);
    open.destroy();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('replaces a carrier older than --max-carrier-age, the new one first, naming each carrier in its log lines', async () => {
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:9']);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '-p', '1', '--max-carrier-age', '1s']);
    await client.waitFor(/with 1 carrier each$/);
    await client.waitFor(/INFO {2}carrier #1 to tcp:\/\/127\.0\.0\.1:\d+ down after \d+\.\d s \(closed without an error\)$/);
    await server.waitFor(/INFO {2}carrier #\d+ from 127\.0\.0\.1:\d+ down after \d+\.\d s \(session [0-9a-f]{8}\) \(closed without an error\)$/);
    const up2 = client.lines.findIndex((line) => /carrier #2 to \S+ up/.test(line));
    const down1 = client.lines.findIndex((line) => /carrier #1 to \S+ down/.test(line));
    expect(up2).toBeGreaterThanOrEqual(0);
    expect(up2).toBeLessThan(down1);
  });

  it('keeps working and exits 0 when whoever read its stderr has gone (EPIPE)', async () => {
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:9', '-vv']);
    const port = await server.port(SERVER_PORT);
    server.child.stderr?.destroy();
    for (let i = 0; i < 3; i++) {
      const socket = await connect(port); // not mpx: each one makes the server log a line
      socket.on('error', () => {});
      socket.resume();
      socket.end('GET / HTTP/1.1\r\n\r\n');
      await new Promise((resolve) => socket.once('close', resolve));
    }
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('serves Prometheus metrics and prints --stats lines', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--metrics', '127.0.0.1:0']);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel([
      'client',
      '--listen',
      '127.0.0.1:0',
      '--server',
      `127.0.0.1:${serverPort}|3`,
      '--metrics',
      '127.0.0.1:0',
      '--stats',
      '0.2',
    ]);
    const port = await client.port(CLIENT_PORT);
    const url = (await client.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1] as string;
    await echoThrough(port, 100_000, 6001);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(await response.text());
    expect(valueOf(families, 'mpx_carriers')).toBe(2);
    expect(valueOf(families, 'mpx_carrier_bytes_total', { direction: 'out', carrier: `tcp://127.0.0.1:${serverPort}` })).toBeGreaterThan(100_000);
    expect(valueOf(families, 'mpx_bytes_total', { direction: 'out' })).toBe(100_000);
    expect(valueOf(families, 'mpx_bytes_total', { direction: 'in' })).toBe(100_000);
    expect(valueOf(families, 'mpx_sessions')).toBe(1);
    expect(valueOf(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(valueOf(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(families.get('nodejs_gc_duration_seconds')?.type).toBe('histogram');
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);

    const serverUrl = (await server.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1] as string;
    expect(valueOf(parseExposition(await (await fetch(serverUrl)).text()), 'mpx_bytes_total', { direction: 'in' })).toBe(100_000);

    await client.waitFor(/INFO {2}stats carrier #\d+ tcp:\/\/127\.0\.0\.1:\d+: in .+\/s, out .+\/s, weight 3/);
    await client.waitFor(/INFO {2}stats total: 2 carriers, \d+ streams, 1 sessions/);
  });
});
