import { z } from 'zod';

export const isoDateTime = z.iso.datetime({ offset: true });
export * from '../issuer.ts';
export const idSchema = z.string().min(1).max(64).regex(/^[a-z]{2,4}_[A-Za-z0-9_-]{1,60}$/, 'must be a Tessera ID such as lic_…');
export const slugSchema = z.string().min(2).max(40).regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lower-case letters, digits and dashes');
export const usernameSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9._@+-]+$/, 'letters, digits and . _ @ + -');
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

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).strict();

export const authorityParamsSchema = z.object({ authority: slugSchema }).strict();
