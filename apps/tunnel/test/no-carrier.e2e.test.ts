// A client whose server is down, as a user meets it: the dial's cause is
// logged once, then, while a connection waits for a carrier, a line every
// WAITING_NOTE_MS says that it still waits and what the dials meet, until
// --grace resets the connection.
import { afterEach, describe, expect, it } from 'vitest';
import { WAITING_NOTE_MS } from '../src/dial-causes.js';
import { closedPort, connect, killAll, Tunnel, CLIENT_PORT } from './helpers.js';

afterEach(killAll);

describe('no carrier up', () => {
  it('says every so often that connections still wait, and why, until --grace resets them', async () => {
    const down = await closedPort();
    const graceS = WAITING_NOTE_MS / 1000 + 3;
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${down}`, '--grace', `${graceS}s`]);
    const app = await connect(await client.port(CLIENT_PORT));
    const ended = new Promise<string | undefined>((resolve) => {
      app.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
      app.once('close', () => resolve(undefined));
    });
    app.write('waiting');
    await client.waitFor(
      new RegExp(
        `WARN {2}no carrier is up: 1 connection waits for one, up to --grace \\(${graceS} s\\) from the loss of the last; still dialling tcp://127\\.0\\.0\\.1:${down} \\(ECONNREFUSED\\)`,
      ),
      WAITING_NOTE_MS + 5_000,
    );
    // The dial's cause itself is logged once at warn, not at every redial.
    expect(client.count(/WARN {2}cannot open a carrier/)).toBe(1);
    expect(await ended).toBe('ECONNRESET');
    await client.waitFor(/session closed: MPX_ERR_SESSION_EXPIRED/);
  }, 40_000);
});
