// --config FILE: yargs' own config support. Any flag by its long name, checked
// like a flag (exit code 2), and flags on the command line win.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLIENT_PORT, echoThrough, killAll, runToExit, SERVER_PORT, startEcho, Tunnel, type EchoServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mpx-config-'));
let echo: EchoServer | undefined;

/** Writes `content` (an object as JSON, or raw text) to a file in the test's directory; returns its path. */
function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--config', () => {
  it('runs a server and a client from their config files, key file included, and they carry a transfer', async () => {
    echo = await startEcho();
    const keyFile = configFile('key', 'config-file-key\n');
    const server = new Tunnel([
      'server',
      '--config',
      configFile('server.json', { listen: ['127.0.0.1:0'], target: `127.0.0.1:${echo.port}`, 'key-file': keyFile }),
    ]);
    const serverPort = Number((await server.waitFor(SERVER_PORT))[1]);
    const clientConfig = configFile('client.json', { listen: '127.0.0.1:0', server: [`127.0.0.1:${serverPort}`], carriers: 3, 'key-file': keyFile });
    const client = new Tunnel(['client', '--config', clientConfig]);
    const port = Number((await client.waitFor(CLIENT_PORT))[1]);
    await client.waitFor(/with 3 carriers each/);
    const { sent, received } = await echoThrough(port, 1024 * 1024, 1702);
    expect(received).toEqual(sent);
  });

  it('lets flags on the command line override the file', async () => {
    const config = configFile('override.json', { listen: '127.0.0.1:0', server: ['127.0.0.1:9'], carriers: 5 });
    const client = new Tunnel(['client', '--config', config, '-p', '2']);
    await client.waitFor(/with 2 carriers each/);
  });

  it.each([
    [
      'a value out of range',
      { listen: ['127.0.0.1:0'], target: '127.0.0.1:1', 'max-streams': '0' },
      /--max-streams must be a whole number from 1 to 2147483647, got '0'/,
    ],
    [
      'an unknown key',
      { listen: ['127.0.0.1:0'], target: '127.0.0.1:1', bogus: true },
      /unknown flag for server: --bogus \(see mpx-tunnel server --help\)/,
    ],
    ['a bad address', { listen: ['http://x:1'], target: '127.0.0.1:1' }, /unsupported scheme 'http'/],
    ['a missing required flag', { listen: ['127.0.0.1:0'] }, /--target is required \(or --allow/],
    ['text that is not JSON', '{"listen": ', /Invalid JSON config file: .*broken\.json/],
  ])('exits 2 with one clear line for %s', async (what, content, message) => {
    const { code, stderr } = await runToExit([
      'server',
      '--config',
      configFile(what === 'text that is not JSON' ? 'broken.json' : `${what.replace(/ /g, '-')}.json`, content),
    ]);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('exits 2 when the file does not exist', async () => {
    const { code, stderr } = await runToExit(['client', '--config', join(dir, 'nonexistent.json')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Invalid JSON config file: .*nonexistent\.json/);
  });

  it('shows a config example under --help', async () => {
    const { code, stdout } = await runToExit(['server', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--config');
    expect(stdout).toContain('Config file (--config FILE)');
    expect(stdout).toContain('"key-file": "/etc/mpx/key"');
  });
});
