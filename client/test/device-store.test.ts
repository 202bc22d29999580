import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Device, DeviceError, DeviceStore, resolveDeviceHome, writeFileAtomic } from '../src/index.ts';

let workdir: string;
before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'tessera-store-test-'));
});
after(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe('the device store', () => {
  it('takes its home from --home, then $TESSERA_DEVICE_HOME, then ~/.tessera-device', () => {
    const saved = process.env.TESSERA_DEVICE_HOME;
    try {
      process.env.TESSERA_DEVICE_HOME = join(workdir, 'from-env');
      assert.equal(resolveDeviceHome(join(workdir, 'given')), join(workdir, 'given'));
      assert.equal(resolveDeviceHome(), join(workdir, 'from-env'));
      delete process.env.TESSERA_DEVICE_HOME;
      assert.match(resolveDeviceHome(), /\.tessera-device$/);
    } finally {
      if (saved === undefined) delete process.env.TESSERA_DEVICE_HOME;
      else process.env.TESSERA_DEVICE_HOME = saved;
    }
  });

  it('refuses an ID that would name a file outside the home', () => {
    const store = new DeviceStore(join(workdir, 'ids'));
    assert.throws(
      () => store.packagePath('../../etc/passwd'),
      (e: unknown) => e instanceof DeviceError && e.code === 'invalid_input',
    );
    assert.throws(() => store.licensePath('cnt_../x'), DeviceError);
  });

  it('replaces files atomically and leaves no temporary file behind', async () => {
    const path = join(workdir, 'atomic.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.deepEqual(
      (await readdir(workdir)).filter((n) => n.startsWith('atomic.json')),
      ['atomic.json'],
    );
  });

  it('reports a damaged state file as such instead of guessing', async () => {
    const home = join(workdir, 'damaged');
    const store = new DeviceStore(home);
    await store.ensureLayout();
    await writeFile(store.devicePath, '{"version": 1, "clientId": 42}');
    await assert.rejects(Device.open(home), (e: unknown) => e instanceof DeviceError && e.code === 'store_corrupt');
  });

  it('opens an empty home as an unregistered device without creating anything', async () => {
    const home = join(workdir, 'fresh');
    const device = await Device.open(home);
    assert.equal(device.isRegistered, false);
    assert.throws(
      () => device.identity,
      (e: unknown) => e instanceof DeviceError && e.code === 'not_registered',
    );
    await assert.rejects(readdir(home));
  });
});
