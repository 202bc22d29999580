import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../support/harness.ts';
import { checkLargeContentRoundTrip } from './large-content-check.ts';

describe('contents: large files', () => {
  let h: Harness;
  let authority: { id: string; slug: string };

  before(async () => {
    h = await startHarness();
    authority = await h.authority({ slug: 'vast' });
    await h.admin('ops@vast.test', 'admin password', [{ authorityId: authority.id, role: 'admin' }]);
  });
  after(() => h.close());

  test('a 64 MiB upload and download run in bounded memory', { timeout: 120_000 }, async (t) => {
    const report = await checkLargeContentRoundTrip(h, authority, {
      size: 64 * 1024 * 1024,
      maxRssGrowth: 100 * 1024 * 1024,
      adminEmail: 'ops@vast.test',
      adminPassword: 'admin password',
    });
    t.diagnostic(JSON.stringify(report));
  });
});
