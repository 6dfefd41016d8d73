// The V8 settings mpx-tunnel makes for itself go through one rule: the
// operator's value on node's command line wins.
import { setFlagsFromString } from 'node:v8';

/** Whether node's command line names any of these V8 flags (dashes or underscores, `--no-` form, with or without a value). */
export function v8FlagNamed(execArgv: readonly string[], names: readonly string[]): boolean {
  const spellings = names.flatMap((name) => [name, name.replaceAll('-', '_')]).flatMap((name) => [`--${name}`, `--no-${name}`, `--no_${name}`]);
  return execArgv.some((arg) => spellings.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
}

/** `--name=value`, or undefined when node's command line already names the flag (dashes or underscores). */
export function v8FlagUnlessSet(execArgv: readonly string[], name: string, value: number): string | undefined {
  return v8FlagNamed(execArgv, [name]) ? undefined : `--${name}=${value}`;
}

/** Sets `--name=value` in this process's V8 unless the operator named the flag; returns what was set. */
export function setV8FlagUnlessSet(name: string, value: number, execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = v8FlagUnlessSet(execArgv, name, value);
  if (flag !== undefined) setFlagsFromString(flag);
  return flag;
}

/** Turns V8's boolean flag `--name` on or off (`--no-name`) in this process unless the operator named it; returns what was set. */
export function setV8SwitchUnlessSet(name: string, on: boolean, execArgv: readonly string[] = process.execArgv): string | undefined {
  if (v8FlagNamed(execArgv, [name])) return undefined;
  const flag = on ? `--${name}` : `--no-${name}`;
  setFlagsFromString(flag);
  return flag;
}
