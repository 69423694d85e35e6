/**
 * An error whose message is the whole advice for the user: what input, what is wrong, what to
 * do. The CLI edge prints it as one line and exits with `exitCode`; no stack trace is shown.
 */
export class PptError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = "PptError";
  }
}

/** Exit codes shared by every command (doctor has its own monitoring-style ones). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
