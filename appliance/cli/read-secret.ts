import { ApplianceError } from '../../system/errors/index.ts';

/**
 * Passwords for admin commands come from stdin, never from argv: a command line is visible to
 * every local user (`ps`, /proc/<pid>/cmdline) and lands in shell history (issue 10 finding 11).
 *
 * `--password -` reads one line from stdin (`printf '%s\n' "$PW" | … --password -`, or a file
 * redirected in); when stdin is a terminal it prompts twice without echo.
 */

/** Longest secret line read from a pipe. */
const MAX_SECRET_BYTES = 4096;

/** The warning printed when a password is given on the command line itself. */
export const ARGV_PASSWORD_WARNING =
  'warning: a password on the command line is visible to other local users (ps) and stays in shell history; use --password - to read it from stdin';

/** Reads a secret: prompted without echo on a terminal (asked twice), else the first line of stdin. */
export async function readSecret(what: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await readHidden(`${what}: `);
    const again = await readHidden(`${what} again: `);
    if (first !== again) throw new ApplianceError('usage', `the two ${what}s differ`);
    return first;
  }
  const bytes = new Uint8Array(await Bun.stdin.arrayBuffer());
  if (bytes.length > MAX_SECRET_BYTES) throw new ApplianceError('usage', `stdin holds more than ${MAX_SECRET_BYTES} bytes: give the ${what} alone`);
  const line = new TextDecoder().decode(bytes).split(/\r?\n/)[0];
  if (line === '') throw new ApplianceError('usage', `no ${what} on stdin (--password - reads one line)`);
  return line;
}

/** One line from the terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D aborts. */
function readHidden(label: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(label);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new ApplianceError('usage', 'aborted'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
