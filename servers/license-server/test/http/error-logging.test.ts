import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createLogger } from '../../src/logging.ts';
import { startHarness, type Harness } from '../support/harness.ts';

/** Logs one error through the server's logger and returns the line written. */
function logged(error: unknown): { text: string; entry: Record<string, unknown> } {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  createLogger('info', sink).error({ err: error }, 'unhandled error');
  return { text, entry: JSON.parse(text) as Record<string, unknown> };
}

describe('logging a failed statement', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  /** Runs a statement that fails inside the database and returns the log line written for its error. */
  async function loggedFailure(statement: ReturnType<typeof sql>): Promise<{ text: string; entry: Record<string, unknown> }> {
    const error = await h.server.ctx.db.execute(statement).then(
      () => assert.fail('the statement should have failed'),
      (e: unknown) => e,
    );
    return logged(error);
  }

  test('keeps the statement and the SQLSTATE but none of the parameter values', async () => {
    const secret = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdA$notarealhashbutsecret';
    const { text, entry } = await loggedFailure(sql`select ${secret}::int`);
    assert.ok(!text.includes(secret), `the log line holds no parameter value: ${text}`);
    assert.ok(!text.includes('notarealhash'), 'not even part of it');
    const err = entry.err as { message: string; query: string; cause: { code: string } };
    assert.match(err.message, /^Failed query: select \$1::int/);
    assert.equal(err.cause.code, '22P02', 'the SQLSTATE stays, so an operator knows what failed');
  });

  test('leaves other errors as they are', async () => {
    const { entry } = logged(new Error('disk full'));
    assert.equal((entry.err as { message: string }).message, 'disk full');
  });
});
