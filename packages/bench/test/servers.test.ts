import { describe, expect, it } from 'vitest';
import { nginxConfig } from '../src/servers.js';

describe('nginxConfig', () => {
  const conf = nginxConfig('/tmp/mpx-bench-nginx-x', 40123);

  it('runs in the foreground on the loopback port, serving files from its own directory', () => {
    expect(conf).toMatch(/^daemon off;$/m);
    expect(conf).toMatch(/^\s*listen 127\.0\.0\.1:40123;$/m);
    expect(conf).toMatch(/^\s*root \/tmp\/mpx-bench-nginx-x\/www;$/m);
  });

  it('names no file outside its directory (pid, temporary files), logs errors to stderr and keeps no access log', () => {
    const paths = [...conf.matchAll(/(?:^|\s)(\/\S+?);/gm)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) expect(p.startsWith('/tmp/mpx-bench-nginx-x/')).toBe(true);
    expect(conf).toMatch(/^error_log stderr/m);
    expect(conf).toMatch(/access_log off;/);
  });

  it('keeps keep-alive connections open for the whole wrk run', () => {
    expect(Number(/keepalive_requests (\d+);/.exec(conf)?.[1])).toBeGreaterThanOrEqual(1_000_000);
  });
});
