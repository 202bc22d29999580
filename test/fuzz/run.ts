// A long fuzzing run: `npm run fuzz -- --requests 100000 [--seed S] [--concurrency C]`.
// Prints what each operation answered and every finding; exits 1 on any 5xx, any answer outside
// the document (known findings included, so a long run only passes once they are fixed), a dead
// server afterwards or a change to the second authority's data.
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_SEED, formatFinding, runFuzzCampaign } from './fuzz-campaign.ts';
import { startFuzzTarget } from './fuzz-target.ts';
import { isKnown } from './known-findings.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
};
const requests = option('requests', 10_000);
const seed = option('seed', DEFAULT_SEED);
const concurrency = option('concurrency', 8);

const target = await startFuzzTarget();
try {
  const before = await target.snapshotBorealis();
  console.log(`seed ${seed}, ${requests} requests, ${concurrency} at a time`);
  const report = await runFuzzCampaign(target, {
    requests,
    seed,
    concurrency,
    progress: (done) => {
      if (done % 5_000 < 250) process.stdout.write(`  ${done} sent\n`);
    },
  });
  const healthy = (await fetch(`${target.url}/healthz`)).status === 200;
  const unchanged = isDeepStrictEqual(await target.snapshotBorealis(), before);

  console.log('\nanswers by operation:');
  for (const [operation, stats] of Object.entries(report.operations)) {
    const statuses = Object.entries(stats.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(`  ${operation.padEnd(24)} ${String(stats.sent).padStart(6)}  ${statuses}`);
  }
  console.log(`\nfindings (${report.findings.length}):`);
  for (const f of report.findings) console.log(`${isKnown(f) ? '[known] ' : '[NEW] '}${formatFinding(f)}`);
  const { sent, pastAuthentication } = report.authenticated;
  console.log(
    `\n${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s (seed ${seed}); ${report.serverErrors} 5xx; ${report.peerUnreachable} declared 502 peer_unreachable; ` +
      `${pastAuthentication}/${sent} authenticated requests past authentication; /healthz ${healthy ? 'answers' : 'DOES NOT answer'}; borealis ${unchanged ? 'unchanged' : 'CHANGED'}`,
  );
  process.exitCode = report.serverErrors === 0 && report.findings.length === 0 && healthy && unchanged ? 0 : 1;
} finally {
  await target.close();
}
