/*
 * Single-byte changes and truncations of a sample, and the bookkeeping of what a verifier made
 * of each. A mutation counts only if it changes what the sample decodes to: in a token, a change
 * to the unused low bits of a segment's final base64url character decodes to the same bytes
 * (RFC 4648 §3.5), so it is not a change and is skipped.
 */

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every bit of a base64url character's 6-bit value: together they flip every bit the token encodes. */
export const ALL_SEXTET_BITS = [1, 2, 4, 8, 16, 32] as const;
/** The lowest and the highest bit of each character, for verifiers reached over HTTP. */
export const LOW_AND_HIGH_SEXTET_BITS = [1, 32] as const;

export interface Mutant<T> {
  /** `change@17^8` (character 17, 6-bit value XOR 8), `flip@300^0x04`, `truncate@42`. */
  label: string;
  value: T;
}

/** Each segment's decoded bytes, as a verifier reads them. */
function decodedSegments(token: string): Buffer[] {
  return token.split('.').map((segment) => Buffer.from(segment, 'base64url'));
}

export function decodesAlike(a: string, b: string): boolean {
  const x = decodedSegments(a);
  const y = decodedSegments(b);
  return x.length === y.length && x.every((segment, i) => segment.equals(y[i]!));
}

/**
 * The token with the character at `position` replaced by the base64url character whose value
 * is its own XOR `bits`, or null when the result decodes to the same bytes. A '.' is replaced by
 * the character 'A' (XOR is meaningless there).
 */
export function changeCharacter(token: string, position: number, bits: number): string | null {
  const current = token[position]!;
  const value = BASE64URL.indexOf(current);
  const replacement = value < 0 ? (bits === 1 ? 'A' : null) : BASE64URL[value ^ bits]!;
  if (replacement === null) return null;
  const mutated = token.slice(0, position) + replacement + token.slice(position + 1);
  return decodesAlike(mutated, token) ? null : mutated;
}

export interface TokenMutationPlan {
  /** XOR masks applied to each character's 6-bit value. */
  bits: readonly number[];
}

/**
 * Every position × every mask in `plan.bits`, then every truncation (lengths 0 … n−1).
 * `skipped` counts the changes that decode to the original bytes.
 */
export function tokenMutations(token: string, plan: TokenMutationPlan): { mutants: Mutant<string>[]; skipped: number } {
  const mutants: Mutant<string>[] = [];
  let skipped = 0;
  for (let position = 0; position < token.length; position++) {
    const masks = token[position] === '.' ? [1] : plan.bits;
    for (const bits of masks) {
      const mutated = changeCharacter(token, position, bits);
      if (mutated === null) skipped++;
      else mutants.push({ label: `change@${position}^${bits}`, value: mutated });
    }
  }
  for (let length = 0; length < token.length; length++) mutants.push({ label: `truncate@${length}`, value: token.slice(0, length) });
  return { mutants, skipped };
}

/** A token's mutations made on a fresh sample each (single-use tokens); same labels as tokenMutations. */
export interface FreshTokenMutant {
  label: string;
  /** Applies this mutation to a fresh sample; null when it decodes to the same bytes. */
  apply(token: string): string | null;
}

export function freshTokenMutations(length: number, dots: readonly number[], plan: TokenMutationPlan): FreshTokenMutant[] {
  const mutants: FreshTokenMutant[] = [];
  for (let position = 0; position < length; position++) {
    const masks = dots.includes(position) ? [1] : plan.bits;
    for (const bits of masks) mutants.push({ label: `change@${position}^${bits}`, apply: (token) => changeCharacter(token, position, bits) });
  }
  for (let cut = 0; cut < length; cut++) mutants.push({ label: `truncate@${cut}`, apply: (token) => token.slice(0, cut) });
  return mutants;
}

/** The byte at `position` with one bit flipped. */
export function flipBit(bytes: Buffer, position: number, bit: number): Buffer {
  const mutated = Buffer.from(bytes);
  mutated[position]! ^= 1 << bit;
  return mutated;
}

/**
 * Which byte positions of a binary sample are mutated, and at which lengths it is cut: every
 * position in `whole` ranges, every `stride`-th elsewhere (offset so the sample does not always
 * hit the same position within a 16-byte block).
 */
export function samplePositions(length: number, whole: readonly [number, number][], stride: number): number[] {
  const inWhole = (p: number) => whole.some(([from, to]) => p >= from && p < to);
  const positions: number[] = [];
  for (let p = 0; p < length; p++) if (inWhole(p) || p % stride === 7 % stride) positions.push(p);
  return positions;
}

/** What a verifier made of a mutant: accepted, or refused with a code it is known to use. */
export type Verdict = { accepted: true; detail?: string } | { accepted: false; code: string };

export interface Tally {
  mutants: number;
  skipped: number;
  refusals: Map<string, number>;
  accepted: string[];
  /** Failures that are not the verifier's own refusal (a 5xx, a TypeError): bugs of their own. */
  broken: string[];
}

export const emptyTally = (skipped = 0): Tally => ({ mutants: 0, skipped, refusals: new Map(), accepted: [], broken: [] });

export function record(tally: Tally, label: string, verdict: Verdict): void {
  tally.mutants++;
  if (verdict.accepted) tally.accepted.push(verdict.detail ? `${label} (${verdict.detail})` : label);
  else tally.refusals.set(verdict.code, (tally.refusals.get(verdict.code) ?? 0) + 1);
}

export const summary = (tally: Tally): string =>
  `${tally.mutants} mutants (${tally.skipped} changes decoding to the same bytes skipped): ${[...tally.refusals].map(([code, n]) => `${code} ×${n}`).join(', ')}` +
  (tally.accepted.length ? `; ACCEPTED ×${tally.accepted.length}` : '') +
  (tally.broken.length ? `; BROKEN ×${tally.broken.length}` : '');

/** Runs `work` over `items` with at most `limit` in flight. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
