// fregie/mpx argument and environment compatibility (argv normalisation).
import { describe, expect, it } from 'vitest';
import { LEGACY_DEFAULT_LISTEN, normalizeArgv } from '../src/compat.js';

describe('normalizeArgv', () => {
  it('turns -listen/-target into the server command', () => {
    expect(normalizeArgv(['-listen', '0.0.0.0:5512', '-target', '127.0.0.1:8488'], {})).toEqual({
      argv: ['server', '--listen', '0.0.0.0:5512', '--target', '127.0.0.1:8488'],
      legacy: { mode: 'server', fromEnv: false, ignored: [] },
    });
  });

  it('turns -listen/-server/-p into the client command', () => {
    expect(normalizeArgv(['-listen', '0.0.0.0:5513', '-server', 'a:5512|1,b:6666|2', '-p', '4'], {}).argv).toEqual([
      'client',
      '--listen',
      '0.0.0.0:5513',
      '--server',
      'a:5512|1,b:6666|2',
      '--carriers',
      '4',
    ]);
  });

  it('accepts Go flag forms: --flag, -flag=value, -s, and -v', () => {
    expect(normalizeArgv(['--listen=:1', '-s', 'a:1', '-p=3', '-v'], {}).argv).toEqual(['client', '--listen=:1', '-s', 'a:1', '--carriers=3', '-v']);
  });

  it('prefers -server over -target and drops what the chosen mode does not take', () => {
    expect(normalizeArgv(['-listen', ':1', '-target', 't:1', '-server', 's:1'], {}).argv).toEqual(['client', '--listen', ':1', '--server', 's:1']);
    expect(normalizeArgv(['-listen', ':1', '-target', 't:1', '-p', '4'], {}).argv).toEqual(['server', '--listen', ':1', '--target', 't:1']);
  });

  it('drops an empty value of a flag of this CLI too, --ws-max-message included', () => {
    expect(normalizeArgv(['-listen', ':1', '-target', 'h:2', '--ws-max-message', '', '--header', ''], {}).argv).toEqual([
      'server',
      '--listen',
      ':1',
      '--target',
      'h:2',
    ]);
  });

  it("treats empty values as unset, as fregie/mpx's Docker entrypoint passes them", () => {
    expect(normalizeArgv(['-listen=0.0.0.0:5512', '-server=', '-target=10.0.0.1:2551', '-p=4'], {}).argv).toEqual([
      'server',
      '--listen=0.0.0.0:5512',
      '--target=10.0.0.1:2551',
    ]);
  });

  it('reads LISTEN_ADDR, TARGET_ADDR, SERVER_ADDR and CONCURRENT_NUM without arguments', () => {
    expect(normalizeArgv([], { LISTEN_ADDR: '0.0.0.0:5512', TARGET_ADDR: '10.0.0.1:2551', SERVER_ADDR: '' })).toEqual({
      argv: ['server', '--listen', '0.0.0.0:5512', '--target', '10.0.0.1:2551'],
      legacy: { mode: 'server', fromEnv: true, ignored: [] },
    });
    expect(normalizeArgv(['-v'], { LISTEN_ADDR: ':5513', SERVER_ADDR: 'a:1|2', CONCURRENT_NUM: '4' }).argv).toEqual([
      'client',
      '-v',
      '--listen',
      ':5513',
      '--server',
      'a:1|2',
      '--carriers',
      '4',
    ]);
  });

  it("uses fregie/mpx's default -listen when none is given", () => {
    expect(normalizeArgv(['-target', 't:1'], {}).argv).toEqual(['server', '--target', 't:1', '--listen', LEGACY_DEFAULT_LISTEN]);
  });

  it('names the flags a mode does not take, which it drops as fregie/mpx does', () => {
    const both = normalizeArgv(['-listen', ':1', '-target', 't:1', '-server', 's:1'], {});
    expect(both.argv).toEqual(['client', '--listen', ':1', '--server', 's:1']);
    expect(both.legacy).toEqual({ mode: 'client', fromEnv: false, ignored: ['-target'] });
    expect(normalizeArgv(['-target', 't:1', '-p', '4'], {}).legacy?.ignored).toEqual(['-p']);
  });

  it('ignores the environment when the arguments choose the mode', () => {
    expect(normalizeArgv(['-target', 't:1'], { SERVER_ADDR: 's:1' }).legacy).toEqual({ mode: 'server', fromEnv: false, ignored: [] });
  });

  it('leaves subcommands alone apart from single-dash long flags', () => {
    expect(normalizeArgv(['client', '-listen', ':1', '-server', 'a:1', '-p', '2'], {}).argv).toEqual([
      'client',
      '--listen',
      ':1',
      '--server',
      'a:1',
      '--carriers',
      '2',
    ]);
    expect(normalizeArgv(['relay', '--listen', ':1', '--to', 'b:2'], { TARGET_ADDR: 'x:1' }).argv).toEqual([
      'relay',
      '--listen',
      ':1',
      '--to',
      'b:2',
    ]);
  });

  it('leaves help, unknown words and empty arguments for yargs to handle', () => {
    expect(normalizeArgv(['--help'], { TARGET_ADDR: 'x:1' }).argv).toEqual(['--help']);
    expect(normalizeArgv(['serve', '--target', 'x:1'], {}).argv).toEqual(['serve', '--target', 'x:1']);
    expect(normalizeArgv([], {})).toEqual({ argv: [] });
  });

  it('maps -pprof and drops -v=false', () => {
    expect(normalizeArgv(['-pprof', '-v=false', '-target', 't:1', '-listen', ':1'], {}).argv).toEqual([
      'server',
      '--pprof',
      '--target',
      't:1',
      '--listen',
      ':1',
    ]);
  });
});
