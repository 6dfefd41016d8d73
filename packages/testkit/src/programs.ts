// Real programs from Debian's packages (curl, nginx, haproxy, iperf3,
// chromium, …) for tests and benchmarks: found on PATH, or installed with
// apt-get when missing and the process runs as root. Whoever asks says loudly
// why it goes without when neither works; this module never throws.
import { execFileSync } from 'node:child_process';

export interface ProgramWanted {
  /** Command names to look for on PATH, in order (e.g. `chromium`, `chromium-browser`). */
  readonly commands: readonly string[];
  /** The Debian package that provides them. */
  readonly debianPackage: string;
  /** Progress lines ("installing …"); default: none. */
  readonly log?: (line: string) => void;
  /** Longest time apt-get may take, ms. Default 300 s. */
  readonly installTimeoutMs?: number;
}

export interface ProgramFound {
  /** Absolute path of the first command found, or undefined. */
  readonly path: string | undefined;
  /** How it was found, or why it is missing: for logs and skip messages. */
  readonly note: string;
}

/** The absolute path of the first of `names` on PATH, if any. */
export function onPath(...names: readonly string[]): string | undefined {
  for (const name of names) {
    try {
      const found = execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim();
      if (found !== '') return found;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

let aptUpdated = false;

/**
 * The program's path, installing its Debian package first when it is missing,
 * apt-get exists and this process is root (`apt-get update` once per process).
 */
export function ensureProgram(wanted: ProgramWanted): ProgramFound {
  const name = wanted.commands.join(' / ');
  const found = onPath(...wanted.commands);
  if (found !== undefined) return { path: found, note: `${name} found at ${found}` };
  if (process.getuid?.() !== 0)
    return { path: undefined, note: `${name} is not on PATH and this is not root: apt-get install -y ${wanted.debianPackage}` };
  if (onPath('apt-get') === undefined)
    return { path: undefined, note: `${name} is not on PATH and there is no apt-get to install ${wanted.debianPackage}` };
  wanted.log?.(`${name} not found: apt-get install -y ${wanted.debianPackage} …`);
  const options = {
    stdio: 'ignore' as const,
    timeout: wanted.installTimeoutMs ?? 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  try {
    if (!aptUpdated) execFileSync('apt-get', ['update'], options);
    aptUpdated = true;
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', wanted.debianPackage], options);
  } catch (err) {
    return { path: undefined, note: `apt-get install -y ${wanted.debianPackage} failed: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
  const installed = onPath(...wanted.commands);
  if (installed === undefined) return { path: undefined, note: `apt-get installed ${wanted.debianPackage}, but ${name} is still not on PATH` };
  return { path: installed, note: `${name} installed with apt-get (${wanted.debianPackage})` };
}
