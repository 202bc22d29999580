import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { startHarness, TestDevice, type Harness } from '../support/harness.ts';
import type { ServerConfigInput } from '../../src/config.ts';

/*
 * Two license servers, each on its own database and its own port, talking real HTTP: aurora on
 * one, borealis on the other, peered both ways, with alice on both and her accounts linked.
 */

export interface Side {
  h: Harness;
  authority: { id: string; slug: string; issuer: string };
  admin: supertest.Agent;
  alice: { id: string; username: string; password: string };
}

export interface Federation {
  a: Side;
  b: Side;
  close(): Promise<void>;
}

async function side(slug: string, prices: { license: number; move: number; federationFee?: number }, overrides: Partial<ServerConfigInput>): Promise<Side> {
  const h = await startHarness({ peerTimeoutMs: 2_000, ...overrides });
  const authority = await h.authority({ slug, prices });
  await h.admin(`owner@${slug}.test`, 'owner password', [{ authorityId: authority.id, role: 'owner' }]);
  const admin = await h.adminAgent(`owner@${slug}.test`, 'owner password');
  const alice = await h.user(authority.id, 'alice', 'wonderland');
  return { h, authority, admin, alice };
}

/** The thumbprint an operator reads off a peer's entity configuration and compares out of band. */
export async function thumbprintOf(from: Side, to: Side): Promise<string> {
  const res = await from.admin.get(`/admin/authorities/${from.authority.slug}/peers/discover`).query({ issuer: to.authority.issuer });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.thumbprint;
}

export async function peer(from: Side, to: Side): Promise<{ id: string }> {
  const thumbprint = await thumbprintOf(from, to);
  const res = await from.admin.post(`/admin/authorities/${from.authority.slug}/peers`).send({ issuer: to.authority.issuer, thumbprint });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export async function startFederation(overrides: Partial<ServerConfigInput> = {}): Promise<Federation> {
  const a = await side('aurora', { license: 299, move: 99 }, overrides);
  const b = await side('borealis', { license: 349, move: 149, federationFee: 25 }, overrides);
  await peer(a, b);
  await peer(b, a);
  return {
    a,
    b,
    async close() {
      await Promise.all([a.h.close(), b.h.close()]);
    },
  };
}

export async function registered(s: Side, label: string): Promise<TestDevice> {
  const device = await TestDevice.create(s.h, s.authority.slug);
  const res = await device.register(s.alice.username, s.alice.password, label);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return device;
}

/** Links alice@from to alice at `to` through the protocol: an assertion from `from`, presented at `to`. */
export async function link(fromDevice: TestDevice, from: Side, toDevice: TestDevice, to: Side): Promise<void> {
  const assertion = await fromDevice.call('POST', '/account-links/assertions', { audience: to.authority.issuer });
  assert.equal(assertion.status, 201, JSON.stringify(assertion.body));
  const presented = await toDevice.call('POST', '/account-links', { assertion: assertion.body.assertion });
  assert.equal(presented.status, 201, JSON.stringify(presented.body));
  assert.equal(presented.body.peerUser, `${from.alice.id}@${from.authority.issuer}`);
}
