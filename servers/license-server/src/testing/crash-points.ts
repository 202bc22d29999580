/**
 * Crash points for the crash tests (test/federation/crash-recovery.test.ts): when the process
 * runs with TESSERA_CRASH_AT=<name>, it kills itself with SIGKILL the first time it reaches
 * that point — the same as `kill -9` at the worst moment, but at an exact, repeatable place.
 * Unset (always, in production) it does nothing.
 */
export type CrashPoint =
  /** Destination: an envelope arrived, nothing done yet. */
  | 'destination.before-answer'
  /** Destination: the certificate and its records are committed, the answer not yet sent. */
  | 'destination.after-commit'
  /** Source: the reservation is committed, the destination not yet asked. */
  | 'source.after-reserve'
  /** Source: the destination's certificate arrived, the move not yet completed. */
  | 'source.after-answer';

const armed = process.env.TESSERA_CRASH_AT;

export function crashPoint(point: CrashPoint): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
