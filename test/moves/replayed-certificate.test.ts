import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Device, DeviceError } from '@tessera/client';
import { auroraDemo, seedDemoAuthority } from '../../servers/license-server/src/demo/seed-demo.ts';
import { startHarness, type Harness } from '../../servers/license-server/test/support/harness.ts';

/**
 * A copy certificate is good for one arrival: once its license has moved on from the device,
 * receiving the old bundle again must not bring the content back (real server, real SDK).
 */
describe('a copy certificate replayed on its destination device', () => {
  let h: Harness;
  let dir: string;
  const spec = { ...auroraDemo, contents: auroraDemo.contents.filter((c) => c.id === 'cnt_field-notes') };

  before(async () => {
    h = await startHarness();
    await seedDemoAuthority(h.server.ctx, h.url, spec);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-replay-'));
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('after the content moved on, the old bundle is refused and the content stays gone', async () => {
    const open = async (name: string) => {
      const d = await Device.open(path.join(dir, name));
      await d.register({ authority: `${h.url}/t/aurora`, username: 'alice', password: 'wonderland', label: name });
      return d;
    };
    const [phone, tablet, laptop] = [await open('phone'), await open('tablet'), await open('laptop')];
    await phone.download('cnt_field-notes');
    await phone.license('cnt_field-notes');
    const first = path.join(dir, 'first.bundle');
    await phone.move('cnt_field-notes', { to: tablet.registration.clientId, bundle: first });
    await tablet.receive(first);
    const second = path.join(dir, 'second.bundle');
    await tablet.move('cnt_field-notes', { to: laptop.registration.clientId, bundle: second });
    await laptop.receive(second);

    await assert.rejects(tablet.receive(first), (error: unknown) => {
      assert.ok(error instanceof DeviceError, `a replayed certificate is refused with a DeviceError: ${String(error)}`);
      assert.equal(error.code, 'copy_certificate_invalid');
      assert.equal(error.reason, 'replayed');
      return true;
    });
    await assert.rejects(
      tablet.play('cnt_field-notes', { out: path.join(dir, 'tablet.out') }),
      (error: unknown) => error instanceof DeviceError && error.code === 'license_missing',
    );
    await laptop.play('cnt_field-notes', { out: path.join(dir, 'laptop.out') });
  });
});
