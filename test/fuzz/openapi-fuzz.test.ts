import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_SEED, formatFinding, runFuzzCampaign, type CampaignReport } from './fuzz-campaign.ts';
import { startFuzzTarget, type FuzzTarget } from './fuzz-target.ts';
import { isKnown, KNOWN_FINDINGS } from './known-findings.ts';

/** 10,000 in CI; TESSERA_FUZZ_REQUESTS, TESSERA_FUZZ_SEED and TESSERA_FUZZ_CONCURRENCY change the run. */
const REQUESTS = Number(process.env.TESSERA_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.TESSERA_FUZZ_SEED ?? DEFAULT_SEED);
const CONCURRENCY = Number(process.env.TESSERA_FUZZ_CONCURRENCY ?? 8);

describe('fuzzing every operation of /openapi.json', () => {
  let target: FuzzTarget;
  let report: CampaignReport;
  let borealisBefore: Record<string, unknown[]>;

  before(async () => {
    target = await startFuzzTarget();
    borealisBefore = await target.snapshotBorealis();
    console.log(`fuzzing with seed ${SEED} (TESSERA_FUZZ_SEED=${SEED} repeats this run): ${REQUESTS} requests, ${CONCURRENCY} at a time`);
    report = await runFuzzCampaign(target, { requests: REQUESTS, seed: SEED, concurrency: CONCURRENCY });
    console.log(
      `${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s; ${report.serverErrors} 5xx; ${report.peerUnreachable} declared 502 peer_unreachable; ${report.findings.length} kinds of finding`,
    );
  });
  after(() => target?.close());

  const unexplained = (kinds: string[]) => report.findings.filter((f) => kinds.includes(f.kind) && !isKnown(f));

  test('every operation of the document gets requests, and most of those with a credential get past authentication', () => {
    const missed = Object.entries(report.operations).filter(([, stats]) => stats.sent === 0);
    assert.deepEqual(missed, [], 'operations the fuzzer never reached');
    const { sent, pastAuthentication } = report.authenticated;
    assert.ok(pastAuthentication > 0.8 * sent, `only ${pastAuthentication} of ${sent} authenticated requests got past authentication`);
    // With CI's 10,000 requests each operation gets about 130, enough for most to succeed once.
    const succeeded = Object.entries(report.operations).filter(([, stats]) => Object.keys(stats.statuses).some((s) => Number(s) < 300));
    if (REQUESTS >= 10_000) assert.ok(succeeded.length > 0.8 * Object.keys(report.operations).length, `only ${succeeded.length} operations ever succeeded`);
  });

  test('no answer is a 5xx (besides 502 peer_unreachable for a peer that does not answer) and every request is answered', () => {
    const found = unexplained(['server error', 'no answer']);
    assert.equal(found.length, 0, `server errors:\n${found.map(formatFinding).join('\n')}`);
  });

  test('every answer has a status its operation declares, errors are problem+json with a declared code, successes the declared media type', () => {
    const found = unexplained(['undeclared status', 'undeclared problem code', 'not a problem document', 'wrong success media type']);
    assert.equal(found.length, 0, `answers outside the document:\n${found.map(formatFinding).join('\n')}`);
  });

  test('the server still answers afterwards', async () => {
    const res = await fetch(`${target.url}/healthz`);
    assert.equal(res.status, 200, 'healthz after the run');
  });

  test("the second authority's rows and package files are unchanged", async () => {
    assert.deepEqual(await target.snapshotBorealis(), borealisBefore, 'borealis data after the run');
  });

  for (const known of KNOWN_FINDINGS) {
    // Todo until the server is fixed: it fails (and is reported) while the fuzzer still finds it.
    test(`known finding: ${known.title}`, { todo: 'server bug found by the fuzzer, not fixed yet' }, () => {
      const seen = report.findings.filter((f) => known.matches(f));
      assert.equal(seen.length, 0, seen.map(formatFinding).join('\n'));
    });
  }
});
