/** The streams a command talks to; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Wall clock, epoch ms. */
  now: () => number;
}

/** Exit codes: 0 success, 1 invalid input or config, 2 runtime failure. */
export const EXIT = { OK: 0, INVALID: 1, FAILURE: 2 } as const;

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
