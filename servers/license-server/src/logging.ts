import { DrizzleQueryError } from 'drizzle-orm/errors';
import pino from 'pino';

/*
 * A failed statement's error carries its parameter values (an argon2 hash, a sealed content
 * key, a client certificate) in its message, its stack and its `params`, and the driver's error
 * may repeat one in its message or `detail` ("Key (email)=(…) already exists", "invalid input
 * syntax for type integer: "…""). Logs keep the statement, the SQLSTATE and the constraint,
 * which are what an operator needs, and every parameter value is cut out of the text.
 */
const DRIVER_FIELDS = ['code', 'severity', 'detail', 'constraint', 'table', 'column', 'schema', 'routine'] as const;

export function serializeError(err: unknown): unknown {
  if (!(err instanceof DrizzleQueryError)) return pino.stdSerializers.err(err as Error);
  const values = err.params.map((p) => (p instanceof Uint8Array ? null : String(p))).filter((v): v is string => v !== null && v.length >= 3);
  const redact = (text: string) => values.reduce((t, v) => t.split(v).join('[value]'), text);
  const message = `Failed query: ${err.query}`;
  const cause = err.cause as (Error & Record<string, unknown>) | undefined;
  return {
    type: 'DrizzleQueryError',
    message,
    stack: redact((err.stack ?? '').replace(err.message, message)),
    query: err.query,
    ...(cause && {
      cause: {
        type: cause.constructor?.name ?? 'Error',
        message: redact(cause.message),
        ...Object.fromEntries(DRIVER_FIELDS.filter((f) => cause[f] !== undefined).map((f) => [f, redact(String(cause[f]))])),
      },
    }),
  };
}

/** The server's logger: JSON lines, errors through `serializeError`. */
export const createLogger = (level: string, destination?: pino.DestinationStream) =>
  pino({ level, base: { service: 'tessera-license-server' }, serializers: { err: serializeError } }, destination);
