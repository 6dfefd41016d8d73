// `node ws-flood-main.js <url> <count> <spreadMs>`: opens `count` WebSocket
// connections to `url`, evenly over `spreadMs`, sends one text message on each
// after the upgrade and never speaks mpx (no key); keeps them open until
// stdin closes or SIGTERM. Prints one JSON line when every connection was
// tried: {"opened":N,"failed":N,"errors":{code:N},"closedByServer":N}. Runs in
// its own process so its descriptors are not the bench's.

import WebSocket from 'ws';

const [url, countText, spreadText] = process.argv.slice(2);
const count = Number(countText);
const spreadMs = Number(spreadText);
if (url === undefined || !Number.isInteger(count) || count < 1 || !Number.isFinite(spreadMs)) {
  process.stderr.write('usage: ws-flood-main <url> <count> <spreadMs>\n');
  process.exit(2);
}

const sockets: WebSocket[] = [];
const errors: Record<string, number> = {};
let opened = 0;
let failed = 0;
let closedByServer = 0;
let settled = 0;
let launched = 0;

const settle = (): void => {
  settled++;
  if (settled === count) process.stdout.write(`${JSON.stringify({ opened, failed, errors, closedByServer })}\n`);
};

function launch(): void {
  const ws = new WebSocket(url as string, { perMessageDeflate: false, handshakeTimeout: 10_000 });
  sockets.push(ws);
  let done = false;
  ws.on('open', () => {
    opened++;
    ws.send('hello, no key here');
    done = true;
    settle();
  });
  ws.on('error', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message.slice(0, 40);
    errors[code] = (errors[code] ?? 0) + 1;
  });
  ws.on('close', () => {
    if (done) closedByServer++;
    else {
      failed++;
      done = true;
      settle();
    }
  });
}

const start = performance.now();
const tick = setInterval(() => {
  const due = Math.min(count, Math.ceil(((performance.now() - start) / Math.max(1, spreadMs)) * count));
  while (launched < due) {
    launched++;
    launch();
  }
  if (launched === count) clearInterval(tick);
}, 10);

const quit = (): void => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
};
process.on('SIGTERM', quit);
process.stdin.on('end', quit);
process.stdin.resume();
