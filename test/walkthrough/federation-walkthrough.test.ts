import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { borealisDemo, auroraDemo } from '../../servers/license-server/src/demo/seed-demo.ts';
import { device } from '../support/cli.ts';
import { freePort } from '../support/server-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The README's federation walkthrough, command for command: `npm start`'s demo (two server
 * processes, peered and linked on first start) on free ports, and the real `tessera-device`
 * binary. What the servers recorded is read through their admin APIs, as an operator would.
 */
describe('README walkthrough: a move from aurora to borealis', () => {
  let dir: string;
  let demo: ChildProcess;
  let A: string;
  let B: string;
  let phone: string;
  let reader: string;
  let moveId: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-federation-demo-'));
    const [portA, portB] = [await freePort(), await freePort()];
    demo = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/demo.ts')], {
      cwd: root,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        TESSERA_DATA_DIR: path.join(dir, 'data'),
        TESSERA_DEMO_PORT_A: String(portA),
        TESSERA_DEMO_PORT_B: String(portB),
        TESSERA_DEMO_CONSOLE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout!.on('data', (d) => (output += d));
    demo.stderr!.on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start within 120 s:\n${output}`)), 120_000);
      const check = () => {
        if (output.includes('demo federation is running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      demo.stdout!.on('data', check);
      demo.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${output}`)));
    });
    A = `http://127.0.0.1:${portA}`;
    B = `http://127.0.0.1:${portB}`;
    phone = path.join(dir, 'demo-phone');
    reader = path.join(dir, 'demo-reader');
  });
  after(async () => {
    if (demo && demo.exitCode === null) {
      const exited = new Promise((r) => demo.once('exit', r));
      demo.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function admin(base: string, spec: typeof auroraDemo) {
    const login = await fetch(`${base}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec.admin) });
    assert.equal(login.status, 200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    // Admin answers are read as JSON documents whose shapes the assertions check.
    return async (route: string): Promise<any> => {
      const res = await fetch(`${base}/admin/authorities/${spec.slug}${route}`, { headers: { cookie } });
      assert.equal(res.status, 200, `${route}: ${res.status}`);
      return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
    };
  }

  test('alice registers her phone at aurora and her reader at borealis', async () => {
    const p = await device([
      '--home',
      phone,
      'register',
      '--authority',
      `${A}/t/aurora`,
      '--username',
      'alice',
      '--password',
      'wonderland',
      '--label',
      'phone',
    ]);
    assert.equal(p.code, 0, p.stderr);
    const r = await device([
      '--home',
      reader,
      'register',
      '--authority',
      `${B}/t/borealis`,
      '--username',
      'alice',
      '--password',
      'wonderland',
      '--label',
      'reader',
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('the phone acquires the field notes at aurora and moves them to the reader at borealis, which plays them; the phone is refused', async () => {
    const acquired = await device(['--home', phone, 'acquire', 'cnt_field-notes']);
    assert.equal(acquired.code, 0, acquired.stderr);
    const readerId = (await device(['--home', reader, 'whoami', '--id'])).stdout.trim();
    assert.match(readerId, /^cli_/);
    const bundle = path.join(dir, 'field-notes.bundle');
    const moved = await device([
      '--home',
      phone,
      'move',
      'cnt_field-notes',
      '--to',
      readerId,
      '--to-authority',
      `${B}/t/borealis`,
      '--bundle',
      bundle,
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    moveId = moved.json().moveId;
    const received = await device(['--home', reader, 'receive', bundle]);
    assert.equal(received.code, 0, received.stderr);
    const out = path.join(dir, 'field-notes-reader.txt');
    const played = await device(['--home', reader, 'play', 'cnt_field-notes', '--out', out]);
    assert.equal(played.code, 0, played.stderr);
    assert.equal(await readFile(out, 'utf8'), auroraDemo.contents[2]!.text);
    const refused = await device(['--home', phone, 'play', 'cnt_field-notes', '--out', path.join(dir, 'again.txt')]);
    assert.equal(refused.code, 1);
  });

  test("the move is in both servers' histories; aurora's ledger has the move charge, borealis's the federation fee, and the settlement shows it", async () => {
    const [a, b] = [await admin(A, auroraDemo), await admin(B, borealisDemo)];
    const atA = await a(`/moves/${moveId}`);
    const atB = await b(`/moves/${moveId}`);
    assert.equal(atA.state, 'completed');
    assert.equal(atA.signedBy, `${B}/t/borealis`);
    assert.ok(['completed', 'delivered'].includes(atB.state), `borealis has the move completed or delivered: ${atB.state}`);
    assert.equal(atB.role, 'destination');

    const ledgerA = (await a('/ledger')).items as { kind: string; amount: number; moveId: string | null }[];
    assert.ok(
      ledgerA.some((e) => e.kind === 'move' && e.amount === 99 && e.moveId === moveId),
      'aurora charged alice the move price',
    );
    const ledgerB = (await b('/ledger')).items as { kind: string; amount: number; moveId: string | null; counterparty: string | null }[];
    assert.ok(
      ledgerB.some((e) => e.kind === 'federation_fee' && e.amount === 25 && e.moveId === moveId && e.counterparty === `${A}/t/aurora`),
      'borealis booked its federation fee',
    );

    const settlementB = await b('/settlement');
    const line = settlementB.items.find((l: { peerIssuer: string }) => l.peerIssuer === `${A}/t/aurora`);
    assert.deepEqual(line.receivable, { count: 1, amount: 25 });
    const settlementA = await a('/settlement');
    assert.deepEqual(settlementA.items.find((l: { peerIssuer: string }) => l.peerIssuer === `${B}/t/borealis`).payable, { count: 1, amount: 25 });
  });
});
