// Running as a service: deploy/mpx-tunnel@.service passes `systemd-analyze
// verify` (where systemd is installed), and the command its ExecStart line
// runs starts from a config file and a credential file, logs and ignores
// SIGHUP, and exits 0 on SIGTERM.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, echoThrough, killAll, onPath, SERVER_PORT, startEcho, Tunnel, type EchoServer } from './helpers.js';

const run = promisify(execFile);
const UNIT = fileURLToPath(new URL('../../../deploy/mpx-tunnel@.service', import.meta.url));
const unit = readFileSync(UNIT, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'mpx-service-'));
const INSTALLED = '/usr/local/bin/mpx-tunnel';

/** The value of every `Key=` line of the unit. */
function directives(key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/** `systemd-analyze verify` on a copy of `text` named `name` (ExecStart pointed at this build); resolves with its output. */
async function verify(analyze: string, name: string, text: string): Promise<{ ok: boolean; output: string }> {
  writeFileSync(join(dir, name.replace(/@.*\./, '@.')), text.replaceAll(INSTALLED, CLI));
  try {
    const { stdout, stderr } = await run(analyze, ['verify', join(dir, name)], { timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/mpx-tunnel@.service', () => {
  it('runs unprivileged, restarts on failure but not on a bad config, takes the key as a credential and has no reload', () => {
    expect(directives('DynamicUser')).toEqual(['yes']);
    expect(directives('NoNewPrivileges')).toEqual(['yes']);
    expect(directives('Restart')).toEqual(['on-failure']);
    expect(directives('RestartPreventExitStatus')).toEqual(['2']);
    expect(directives('LoadCredential')).toEqual(['key:/etc/mpx/key']);
    expect(directives('ExecReload')).toEqual([]);
    expect(directives('ExecStart')).toEqual([`${INSTALLED} %i --config /etc/mpx/%i.json --key-file %d/key`]);
  });

  it('passes systemd-analyze verify without a warning, which does flag a broken copy', async () => {
    const analyze = onPath('systemd-analyze');
    if (analyze === undefined) {
      console.warn(
        '\n*** service: NO systemd-analyze VERIFY: systemd-analyze is not on PATH (apt-get install -y systemd); checked the unit text only ***\n',
      );
      return;
    }
    expect(await verify(analyze, 'mpx-tunnel@server.service', unit)).toEqual({ ok: true, output: '' });
    const broken = await verify(analyze, 'broken@server.service', unit.replace('Restart=on-failure', 'Restart=sometimes'));
    expect(broken.output).toMatch(/Failed to parse service restart specifier/);
  });

  it('ExecStart starts a server from its config file and credential, which ignores SIGHUP, carries traffic and stops with exit code 0 on SIGTERM', async () => {
    echo = await startEcho();
    const credentials = join(dir, 'credentials');
    mkdirSync(credentials);
    writeFileSync(join(credentials, 'key'), 'service-test-key\n');
    const config = join(dir, 'server.json');
    writeFileSync(config, JSON.stringify({ listen: ['127.0.0.1:0'], target: `127.0.0.1:${echo.port}` }));
    const execStart = (directives('ExecStart')[0] as string)
      .replaceAll('%i', 'server')
      .replaceAll('%d', credentials)
      .replace('/etc/mpx/server.json', config)
      .split(' ');
    expect(execStart[0]).toBe(INSTALLED);
    const server = new Tunnel(execStart.slice(1));
    const serverPort = Number((await server.waitFor(SERVER_PORT))[1]);

    server.child.kill('SIGHUP');
    await server.waitFor(/INFO {2}received SIGHUP: ignored; settings and the key are read only at start/);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', 'service-test-key']);
    const port = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
    const { sent, received } = await echoThrough(port, 1024 * 1024, 1901);
    expect(received).toEqual(sent);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
