// Errors of @mpx/netem with stable codes. Classify by `code`, never by message.

export type NetemErrorCode = 'NETEM_ERR_BAD_ARG';

/** A command-line argument or unit string that cannot be used. */
export class NetemArgError extends Error {
  readonly code: NetemErrorCode = 'NETEM_ERR_BAD_ARG';

  constructor(message: string) {
    super(message);
    this.name = 'NetemArgError';
  }
}
