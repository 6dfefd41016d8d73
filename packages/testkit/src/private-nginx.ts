// The directives that make an nginx a private instance of a test or the
// bench: in the foreground, its pid and temporary files under its own
// directory, errors to stderr. Nothing of the system's nginx configuration is
// read or written. Pure: the callers write the rest of their config.

/** Main-context directives of a private instance rooted at `dir`. */
export function privateNginxMain(dir: string): string {
  return `daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log stderr notice;
`;
}

/** `http`-context directives: every temporary file under `dir`/tmp, indented by two spaces. */
export function privateNginxTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${dir}/tmp/${kind === 'client_body' ? 'body' : kind};\n`)
    .join('');
}
