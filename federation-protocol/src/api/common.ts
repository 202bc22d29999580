import { z } from 'zod';

export const isoDateTime = z.iso.datetime({ offset: true });
export * from '../issuer.ts';
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z]{2,4}_[A-Za-z0-9_-]{1,60}$/, 'must be a Tessera ID such as lic_…');
export const slugSchema = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lower-case letters, digits and dashes');
export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@+-]+$/, 'letters, digits and . _ @ + -');
/*
 * Control characters (C0, DEL and C1) are refused in every string that is stored, searched or
 * shown: PostgreSQL's text cannot hold NUL, and the others hide in logs, terminals and consoles.
 * Multi-line text keeps tab and line breaks. As a pattern, the rule is visible in the OpenAPI
 * document too.
 */
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const NO_CONTROL_BUT_LINES = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;
/** One line of text a person typed (a name, a title, a label): trimmed, no control characters. */
export const lineSchema = (max: number, min = 1) => z.string().trim().min(min).max(max).regex(NO_CONTROL, 'must not contain control characters');
/** Free text (a description): trimmed; tabs and line breaks allowed, other control characters not. */
export const textSchema = (max: number) =>
  z.string().trim().max(max).regex(NO_CONTROL_BUT_LINES, 'must not contain control characters other than tabs and line breaks');
/** A search term: not trimmed (a space may matter), no control characters. */
export const searchSchema = (max: number) => z.string().max(max).regex(NO_CONTROL, 'must not contain control characters');
export const passwordSchema = z.string().min(1).max(256);
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');
/** Amounts are integer minor units (cents) — never floating point. */
export const amountSchema = z.number().int().min(0).max(1_000_000_000);
export const moneySchema = z.object({ amount: amountSchema, currency: currencySchema }).strict();
export type Money = z.infer<typeof moneySchema>;
export const periodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month such as 2026-11');

export const paginationQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).strict();

export const authorityParamsSchema = z.object({ authority: slugSchema }).strict();
