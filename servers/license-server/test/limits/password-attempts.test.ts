import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type supertest from 'supertest';
import { TesseraProblem } from '@tessera/protocol';
import { addressKey, attemptSucceeded, reserveAttempt, type AttemptPolicy } from '../../src/limits/password-attempts.ts';
import { clients, users } from '../../src/storage/schema.ts';
import { expectProblem, startHarness, TestDevice, type Harness } from '../support/harness.ts';

const SERVER_LIMIT = 10;
const policy: AttemptPolicy = { signInWindowSeconds: 900, signInAddressLimit: 20, signInFreeFailures: 5, signInMaxDelaySeconds: 900 };

/** The 429 a reservation is refused with, or null when it is granted. */
async function refusal(h: Harness, input: { realm: string; account: string; ip: string }, at: number): Promise<TesseraProblem | null> {
  return reserveAttempt(h.server.ctx.db, policy, input, new Date(at)).then(
    () => null,
    (error: unknown) => {
      if (error instanceof TesseraProblem && error.code === 'too_many_attempts') return error;
      throw error;
    },
  );
}

describe('password attempt limits', () => {
  let h: Harness;
  let aurora: { id: string; slug: string; issuer: string };

  before(async () => {
    // One trusted proxy hop: X-Forwarded-For names the client, so tests can come from several addresses.
    // The server's own limits: an address may fail 10 times, and an account's delays start after 10,
    // so a burst is cut at exactly 10 whatever the time it takes.
    h = await startHarness({ secureCookies: true, signInAddressLimit: SERVER_LIMIT, signInFreeFailures: SERVER_LIMIT });
    aurora = await h.authority({ slug: 'aurora' });
    await h.admin('owner@aurora.example', 'the right password', [{ authorityId: aurora.id, role: 'owner' }]);
    await h.admin('other@aurora.example', 'another right password', [{ authorityId: aurora.id, role: 'viewer' }]);
  });
  after(() => h.close());

  const signIn = (email: string, password: string, from: string): supertest.Test =>
    h.request().post('/admin/session').set('X-Forwarded-For', from).send({ email, password });

  test('200 concurrent guesses from one address: exactly the limit is checked, the rest get 429 with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => signIn('owner@aurora.example', `guess ${i}`, '203.0.113.7')));
    const checked = answers.filter((r) => r.status === 401).length;
    const throttled = answers.filter((r) => r.status === 429);
    assert.equal(checked, SERVER_LIMIT, `checked ${checked} passwords`);
    assert.equal(throttled.length, 200 - SERVER_LIMIT);
    for (const res of throttled) {
      expectProblem(res, 429, 'too_many_attempts');
      assert.match(String(res.headers['retry-after']), /^\d+$/, 'Retry-After says when to come back');
      assert.equal(Number(res.headers['retry-after']), res.body.retryAfter);
    }
  });

  test('the owner, at an address that has not failed, signs in with the right password at once', async () => {
    const res = await signIn('owner@aurora.example', 'the right password', '198.51.100.20');
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('the right password from the guessing address still waits, so guessing cannot resume through it', async () => {
    await Promise.all(Array.from({ length: SERVER_LIMIT }, (_, i) => signIn('other@aurora.example', `wrong ${i}`, '203.0.113.99')));
    expectProblem(await signIn('other@aurora.example', 'another right password', '203.0.113.99'), 429, 'too_many_attempts');
    assert.equal((await signIn('other@aurora.example', 'another right password', '198.51.100.21')).status, 200, 'while another address passes');
  });

  test('one address gets the address limit across accounts, then 429 until its window ends; other addresses are unaffected', async () => {
    const at = Date.UTC(2030, 0, 1);
    const ip = '192.0.2.50';
    for (let i = 0; i < policy.signInAddressLimit; i++) {
      assert.equal(await refusal(h, { realm: 'admin', account: `spray-${i}@example.com`, ip }, at + i), null, `attempt ${i + 1} is within the limit`);
    }
    const refused = await refusal(h, { realm: 'admin', account: 'spray-last@example.com', ip }, at + 100);
    assert.ok(refused, 'the attempt past the address limit is refused');
    assert.equal(refused.extensions.retryAfter, 900, 'until the window ends');
    assert.equal(await refusal(h, { realm: 'admin', account: 'spray-last@example.com', ip: '192.0.2.51' }, at + 100), null);
    assert.equal(await refusal(h, { realm: 'admin', account: 'spray-again@example.com', ip }, at + 900_000), null, 'a new window starts afresh');
  });

  test('after the free failures, each further attempt on the account from a failing address waits 1 s, then 2 s, 4 s …', async () => {
    const at = Date.UTC(2031, 0, 1);
    const input = { realm: 'admin', account: 'slow@example.com', ip: '192.0.2.60' };
    for (let i = 0; i < policy.signInFreeFailures; i++) assert.equal(await refusal(h, input, at), null);
    assert.equal((await refusal(h, input, at + 500))?.extensions.retryAfter, 1, 'the 6th waits 1 s');
    assert.equal(await refusal(h, input, at + 1_000), null);
    assert.equal((await refusal(h, input, at + 2_500))?.extensions.retryAfter, 1, 'the 7th waits 2 s from the 6th');
    assert.equal(await refusal(h, input, at + 3_000), null);
    assert.equal((await refusal(h, input, at + 6_000))?.extensions.retryAfter, 1, 'the 8th waits 4 s');
    assert.equal(await refusal(h, input, at + 7_000), null);
    const reservation = await reserveAttempt(h.server.ctx.db, policy, input, new Date(at + 15_000));
    await attemptSucceeded(h.server.ctx.db, reservation);
    for (let i = 0; i < policy.signInFreeFailures; i++) assert.equal(await refusal(h, input, at + 15_001), null, 'the right password cleared the account');
  });

  test('a device user guessed at over registration: 429 after the limit, no device stored; another address registers with the right password', async () => {
    const carol = await h.user(aurora.id, 'carol', 'carol password');
    const guesses = [];
    for (let i = 0; i < 30; i++) {
      const device = await TestDevice.create(h, 'aurora');
      guesses.push((await device.register('carol', `guess ${i}`)).status);
    }
    assert.equal(guesses.filter((s) => s === 401).length, SERVER_LIMIT, `answers: ${guesses.join(' ')}`);
    assert.equal(guesses.filter((s) => s === 429).length, 30 - SERVER_LIMIT);
    const stored = await h.server.ctx.db
      .select()
      .from(clients)
      .where(and(eq(clients.authorityId, aurora.id), eq(clients.userId, carol.id)));
    assert.equal(stored.length, 0);
    const [user] = await h.server.ctx.db
      .select()
      .from(users)
      .where(and(eq(users.authorityId, aurora.id), eq(users.id, carol.id)));
    assert.equal(user?.status, 'active', 'the account itself is not locked');
    const fromHome = await TestDevice.create(h, 'aurora');
    const registered = await fromHome.register('carol', 'carol password', 'home', { 'X-Forwarded-For': '198.51.100.30' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  });

  test('addresses are counted as IPv4 or by their IPv6 /64', () => {
    assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:bbbb::2'), addressKey('2001:db8:1:2:aaaa::1'));
    assert.equal(addressKey(undefined), 'unknown');
  });
});
