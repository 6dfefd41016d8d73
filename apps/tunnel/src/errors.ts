// Errors of the command line itself: a bad flag, address or file. Each has a
// stable `code`; the CLI prints its message on one line and exits with 2.

export type UsageErrorCode =
  | 'MPX_TUNNEL_ERR_USAGE' // yargs: unknown flag, missing value, missing command
  | 'MPX_TUNNEL_ERR_ADDRESS' // an <addr> that does not parse
  | 'MPX_TUNNEL_ERR_WEIGHT' // a `|weight` suffix out of range
  | 'MPX_TUNNEL_ERR_SERVER_OPTION' // a --server entry option that is unknown, repeated, conflicting, or a from= address this host does not have
  | 'MPX_TUNNEL_ERR_OPTION' // a flag value out of range or flags that do not go together
  | 'MPX_TUNNEL_ERR_FILE'; // a --key-file / --tls-* file that cannot be read (or a --key-file that is not a regular file of at most 4 KiB, or --tls-* files that make no TLS context)

export class UsageError extends Error {
  readonly code: UsageErrorCode;

  constructor(code: UsageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UsageError';
    this.code = code;
  }
}

/** Exit codes: 0 normal end (also after SIGINT/SIGTERM), 1 runtime failure, 2 usage error. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
