// The V8 settings mpx-tunnel makes for itself go through one rule: the
// operator's value on node's command line wins.
import { setFlagsFromString } from 'node:v8';

/** `--name=value`, or undefined when node's command line already names the flag (dashes or underscores). */
export function v8FlagUnlessSet(execArgv: readonly string[], name: string, value: number): string | undefined {
  const dashed = `--${name}`;
  const underscored = `--${name.replaceAll('-', '_')}`;
  const named = (arg: string): boolean => [dashed, underscored].some((flag) => arg === flag || arg.startsWith(`${flag}=`));
  return execArgv.some(named) ? undefined : `${dashed}=${value}`;
}

/** Sets `--name=value` in this process's V8 unless the operator named the flag; returns what was set. */
export function setV8FlagUnlessSet(name: string, value: number, execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = v8FlagUnlessSet(execArgv, name, value);
  if (flag !== undefined) setFlagsFromString(flag);
  return flag;
}
