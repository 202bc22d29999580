import { TesseraProblem } from '@tessera/protocol';

/**
 * Failures the device detects itself, without a server answer: a license or copy
 * certificate that does not verify, a package that fails its integrity check, a home
 * directory that holds no registration. Server refusals stay `TesseraProblem`s, so a
 * caller branches on `code` either way and never on a message.
 */
export type DeviceErrorCode =
  | 'not_registered'
  | 'already_registered'
  | 'invalid_input'
  | 'license_missing'
  | 'license_not_active'
  | 'license_invalid'
  /** The license is genuine but its rights do not allow this play (count used up, period over). */
  | 'play_not_allowed'
  | 'copy_certificate_invalid'
  | 'package_missing'
  | 'package_integrity'
  | 'bundle_invalid'
  | 'move_pending'
  /** The destination authority refused a cross-authority move. */
  | 'move_refused'
  | 'network_error'
  | 'unexpected_response'
  | 'store_corrupt';

/** Why a license or copy certificate was refused; stable, for tests and support. */
export type VerificationReason =
  | 'malformed'
  | 'signature'
  | 'unknown_key'
  | 'wrong_issuer'
  | 'wrong_device'
  | 'wrong_content'
  | 'wrong_move'
  | 'not_yet_valid'
  | 'expired'
  | 'not_playable'
  | 'rights_expired'
  | 'play_limit_reached'
  | 'key_unwrap'
  /** A copy certificate already used on this device, whose license has since moved on or ended. */
  | 'replayed';

export class DeviceError extends Error {
  readonly code: DeviceErrorCode;
  readonly detail: string;
  readonly reason: VerificationReason | undefined;

  constructor(code: DeviceErrorCode, detail: string, options: { reason?: VerificationReason; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeviceError';
    this.code = code;
    this.detail = detail;
    this.reason = options.reason;
  }
}

/** The code and one-line detail of an expected failure, or null for a bug. */
export function describeFailure(error: unknown): { code: string; detail: string } | null {
  if (error instanceof DeviceError) return { code: error.code, detail: error.detail };
  if (error instanceof TesseraProblem) return { code: error.code, detail: error.detail ?? error.message };
  return null;
}
