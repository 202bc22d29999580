import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { checkOutgoingCopyCertificate, DeviceError, findSigningKey, verifyCopyCertificateForDevice, verifyLicenseForDevice } from '@tessera/client';
import {
  clientCertificateClaimsSchema,
  decodeJwsUnverified,
  FEDERATION_MEDIA_TYPE,
  jwkThumbprint,
  newId,
  TesseraProblem,
  TOKEN_TYPES,
  userGlobalId,
  verifyJws,
  type CopyCertificateRequest,
} from '@tessera/protocol';
import { BundleFormatError, decryptPackage, PACKAGE_HEADER_LENGTH, PackageIntegrityError, TAG_LENGTH, DEFAULT_CHUNK_SIZE } from '@tessera/protocol/node';
import { verifyEntityConfiguration } from '../../servers/license-server/src/federation/remote-configuration.ts';
import { signCopyCertificateForPeer } from '../../servers/license-server/src/moves/sign-for-peer.ts';
import {
  ALL_SEXTET_BITS,
  eachLimited,
  emptyTally,
  flipBit,
  freshTokenMutations,
  LOW_AND_HIGH_SEXTET_BITS,
  record,
  samplePositions,
  summary,
  tokenMutations,
  type Tally,
  type Verdict,
} from './support/mutations.ts';
import { makeSamples, type Samples } from './support/samples.ts';

/*
 * Issue 9, item 13: for one real sample of every token type, of a package and of a bundle, every
 * single-byte change and every truncation is refused by the verifier that would meet it.
 *
 * Tokens verified in-process get every bit of every character's 6-bit value flipped (6 changes per
 * character: every bit the token encodes), plus every truncation. Tokens whose verifier is a server
 * route (device proof, envelope, link assertion) go over HTTP with the lowest and highest bit of
 * every character (2 per character), plus every truncation, each on a fresh sample: they are
 * single-use, so a replay refusal must not hide an acceptance. Binary samples get one bit flipped
 * (bit = position mod 8) and a cut at every byte of their structure (headers, manifest, chunk
 * boundary, final chunk) and at a regular sample of their chunks' bytes; each test says which.
 * Every sample is first shown to be accepted as it is.
 */

const refusedBy = (code: string): Verdict => ({ accepted: false, code });
const ACCEPTED: Verdict = { accepted: true };

/** A verifier's own refusal, or a bug: anything else thrown is reported as broken. */
function refusalOf(error: unknown): Verdict | null {
  if (error instanceof DeviceError) return refusedBy(`${error.code}${error.reason ? `/${error.reason}` : ''}`);
  if (error instanceof TesseraProblem) return refusedBy(error.code);
  if (error instanceof PackageIntegrityError) return refusedBy(`package/${error.reason}`);
  if (error instanceof BundleFormatError) return refusedBy(`bundle/${error.reason}`);
  return null;
}

async function judge(tally: Tally, label: string, verify: () => Promise<Verdict>): Promise<void> {
  let verdict: Verdict;
  try {
    verdict = await verify();
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) {
      tally.mutants++;
      tally.broken.push(`${label}: ${(error as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? String(error)}`);
      return;
    }
    verdict = refusal;
  }
  record(tally, label, verdict);
}

function report(t: TestContext, what: string, tally: Tally): void {
  t.diagnostic(`${what}: ${summary(tally)}`);
  assert.deepEqual(tally.broken, [], `${what}: every mutant is refused by the verifier itself, never by a crash`);
  assert.deepEqual(tally.accepted, [], `${what}: no mutant is accepted`);
}

/** An HTTP answer as a verdict: 2xx is acceptance, 4xx a refusal with its problem code, 5xx a bug. */
function answerVerdict(status: number, code: unknown, text: string): Verdict {
  if (status >= 500) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  if (status < 300) return ACCEPTED;
  return refusedBy(`${status} ${String(code)}`);
}

describe('token and file mutation: every single-byte change and every truncation is refused', () => {
  let s: Samples;
  before(async () => {
    s = await makeSamples();
  });
  after(() => s?.close());

  test('a client certificate is refused by the device that registers and by a peer asked to sign for the device', async (t) => {
    const token = s.phone.clientCertificate;
    const { mutants, skipped } = tokenMutations(token, { bits: ALL_SEXTET_BITS });
    const keys = s.tablet.authorityKeys;
    // The device's check as registerDevice (client/src/registration.ts) makes it, where it is inline.
    const device = async (certificate: string): Promise<Verdict> => {
      const { payload: claims } = await verifyJws(certificate, {
        typ: TOKEN_TYPES.clientCertificate,
        schema: clientCertificateClaimsSchema,
        problem: 'invalid_request',
        resolveKey: (header) => (typeof header.kid === 'string' ? findSigningKey(keys, header.kid) : null),
      });
      const bound = (await jwkThumbprint(claims.cnf.jwk)) === (await jwkThumbprint(s.phone.publicJwk));
      const describesPhone =
        claims.iss === s.aurora.issuer && claims.sub === s.phone.clientId && claims.leaf === s.phone.leafId && claims.uid === s.phone.userId;
      return bound && describesPhone ? ACCEPTED : refusedBy('unexpected_response');
    };
    // Borealis checks the source device's certificate before anything else of a move request; a
    // request it gets past fails next on its unknown destination device.
    const ctx = s.federation.b.h.server.ctx;
    const peer = async (certificate: string): Promise<Verdict> => {
      const request = {
        moveId: newId('move'),
        user: userGlobalId(s.phone.userId, s.aurora.issuer),
        source: { clientId: s.phone.clientId, licenseId: newId('license'), clientCertificate: certificate },
        destination: { clientId: 'cli_nobody-here' },
      } as CopyCertificateRequest;
      try {
        await signCopyCertificateForPeer(ctx, s.borealis, s.auroraAtBorealis, request);
        return { accepted: true, detail: 'signed' };
      } catch (error) {
        if (error instanceof TesseraProblem && error.code === 'move_destination_unknown') return ACCEPTED;
        throw error;
      }
    };
    assert.deepEqual(await device(token), ACCEPTED, 'the device accepts the genuine certificate');
    assert.deepEqual(await peer(token), ACCEPTED, 'borealis gets past the genuine certificate');

    const atDevice = emptyTally(skipped);
    const atPeer = emptyTally(skipped);
    await eachLimited(mutants, 8, async ({ label, value }) => {
      await judge(atDevice, label, () => device(value));
      await judge(atPeer, label, () => peer(value));
    });
    report(t, 'client certificate at the device', atDevice);
    report(t, 'client certificate at borealis', atPeer);
  });

  test('a license is refused by the device that would store or play it', async (t) => {
    const options = {
      issuer: s.aurora.issuer,
      authorityKeys: s.tablet.authorityKeys,
      clientId: s.phone.clientId,
      contentId: s.content.id,
      purpose: 'play' as const,
    };
    const verify = async (token: string): Promise<Verdict> => {
      await verifyLicenseForDevice(token, options);
      return ACCEPTED;
    };
    assert.deepEqual(await verify(s.license), ACCEPTED, 'the phone accepts its genuine license');
    const { mutants, skipped } = tokenMutations(s.license, { bits: ALL_SEXTET_BITS });
    const tally = emptyTally(skipped);
    await eachLimited(mutants, 8, ({ label, value }) => judge(tally, label, () => verify(value)));
    report(t, 'license at the device', tally);
  });

  test('a copy certificate is refused by the destination device and by the source device checking its authority’s answer', async (t) => {
    const certificate = s.copyCertificate;
    const claims = decodeJwsUnverified(certificate).payload as {
      move: string;
      cid: string;
      src: { iss: string; sub: string; lic: string };
      dst: { iss: string; sub: string };
    };
    const trust = { issuer: s.aurora.issuer, authorityKeys: s.tablet.authorityKeys };
    const destination = async (token: string): Promise<Verdict> => {
      await verifyCopyCertificateForDevice(token, { ...trust, clientId: s.tablet.registration.clientId });
      return ACCEPTED;
    };
    const source = async (token: string): Promise<Verdict> => {
      const checked = await checkOutgoingCopyCertificate(
        token,
        { moveId: claims.move, contentId: claims.cid, source: claims.src, destination: claims.dst },
        { authorityKeys: s.tablet.authorityKeys },
      );
      return checked.signatureVerified ? ACCEPTED : refusedBy('not verified');
    };
    assert.deepEqual(await destination(certificate), ACCEPTED, 'the tablet accepts the genuine certificate');
    assert.deepEqual(await source(certificate), ACCEPTED, 'the phone accepts the genuine certificate');
    const { mutants, skipped } = tokenMutations(certificate, { bits: ALL_SEXTET_BITS });
    const atDestination = emptyTally(skipped);
    const atSource = emptyTally(skipped);
    await eachLimited(mutants, 8, async ({ label, value }) => {
      await judge(atDestination, label, () => destination(value));
      await judge(atSource, label, () => source(value));
    });
    report(t, 'copy certificate at the destination device', atDestination);
    report(t, 'copy certificate at the source device', atSource);
  });

  /*
   * The configuration is self-signed: the key that verifies it comes out of its own payload, so a
   * change to that key's x or y gives a point off the curve, which must be refused like any other
   * change (it once escaped verifyJws as WebCrypto's DataError, a 500 at peers/discover).
   */
  let entityConfigurationRun: Promise<Tally> | undefined;
  const entityConfigurationTally = () =>
    (entityConfigurationRun ??= (async () => {
      const verify = async (token: string): Promise<Verdict> => {
        await verifyEntityConfiguration(token, s.aurora.issuer);
        return ACCEPTED;
      };
      assert.deepEqual(await verify(s.entityConfiguration), ACCEPTED, 'the genuine configuration verifies');
      const { mutants, skipped } = tokenMutations(s.entityConfiguration, { bits: ALL_SEXTET_BITS });
      const tally = emptyTally(skipped);
      await eachLimited(mutants, 8, ({ label, value }) => judge(tally, label, () => verify(value)));
      return tally;
    })());

  test('an entity configuration is refused by the authority that fetches it, with peer_unreachable even when its signing key is no point on the curve', async (t) => {
    const tally = await entityConfigurationTally();
    t.diagnostic(`entity configuration: ${summary(tally)}`);
    assert.deepEqual(tally.accepted, [], 'entity configuration: no mutant is accepted');
    assert.deepEqual(tally.broken, [], 'entity configuration: every mutant is refused with the verifier’s own problem');
  });

  test('a federation envelope is refused by the federation endpoint', async (t) => {
    const endpoint = `${s.borealis.issuer}/federation`;
    const post = async (token: string): Promise<Verdict> => {
      const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': FEDERATION_MEDIA_TYPE }, body: token });
      const text = await res.text();
      // A signed answer, even a signed refusal, means the envelope was opened.
      if ((res.headers.get('content-type') ?? '').startsWith(FEDERATION_MEDIA_TYPE)) return { accepted: true, detail: `HTTP ${res.status}` };
      return answerVerdict(res.status, (JSON.parse(text) as { code?: string }).code, text);
    };
    assert.deepEqual(await post(await s.freshEnvelope()), { accepted: true, detail: 'HTTP 200' }, 'borealis answers a genuine ping with a signed pong');
    await freshMutants(t, 'federation envelope', await s.freshEnvelope(), s.freshEnvelope, post);
  });

  test('a link assertion is refused by the authority it is presented at', async (t) => {
    const present = async (assertion: string): Promise<Verdict> => {
      const res = await s.presenter.call('POST', '/account-links', { assertion });
      return answerVerdict(res.status, res.body?.code, res.text);
    };
    assert.deepEqual(await present(await s.freshLinkAssertion()), ACCEPTED, 'borealis links alice on a genuine assertion');
    await freshMutants(t, 'link assertion', await s.freshLinkAssertion(), s.freshLinkAssertion, present);
  });

  test('a device proof is refused by the server with 401', async (t) => {
    const send = async (proof: string): Promise<Verdict> => {
      const res = await s.prober.harness.request().get(`/t/${s.federation.a.authority.slug}/me`).set('Authorization', `Tessera-Proof ${proof}`);
      const verdict = answerVerdict(res.status, res.body?.code, res.text);
      if (!verdict.accepted && res.status !== 401) throw new Error(`a refused proof must be 401, got ${res.status} ${res.text}`);
      return verdict;
    };
    assert.deepEqual(await send(await s.freshProof()), ACCEPTED, 'the server accepts a genuine proof');
    await freshMutants(t, 'device proof', await s.freshProof(), s.freshProof, send);
  });

  /** Each mutation on a fresh sample of a single-use token, over HTTP. */
  async function freshMutants(
    t: TestContext,
    what: string,
    shape: string,
    fresh: () => Promise<string>,
    verify: (token: string) => Promise<Verdict>,
  ): Promise<void> {
    const mutants = freshTokenMutations(
      shape.length,
      [...shape].flatMap((c, i) => (c === '.' ? [i] : [])),
      { bits: LOW_AND_HIGH_SEXTET_BITS },
    );
    const tally = emptyTally();
    await eachLimited(mutants, 6, async ({ label, apply }) => {
      const sample = await fresh();
      assert.equal(sample.length, shape.length, `${what}: every fresh sample has the same shape`);
      const mutated = apply(sample);
      if (mutated === null) {
        tally.skipped++;
        return;
      }
      await judge(tally, label, () => verify(mutated));
    });
    report(t, what, tally);
  }

  test('a package is refused by the decryptor under its content key', async (t) => {
    const pkg = s.packageBytes;
    const verify = async (bytes: Buffer): Promise<Verdict> => {
      await decryptPackage(s.content.contentKey, bytes);
      return ACCEPTED;
    };
    assert.deepEqual(await verify(pkg), ACCEPTED, 'the genuine package decrypts');
    const boundary = PACKAGE_HEADER_LENGTH + DEFAULT_CHUNK_SIZE + TAG_LENGTH;
    // Every byte of the header, of the first and last KiB of the first chunk and of the whole
    // final chunk record; every 7th byte in between (7 is prime to the 16-byte AES block, so the
    // sample meets every offset within a block). A bit flipped at each, and a cut at each.
    const positions = samplePositions(
      pkg.length,
      [
        [0, PACKAGE_HEADER_LENGTH + 1024],
        [boundary - 1024, pkg.length],
      ],
      7,
    );
    const tally = emptyTally();
    await eachLimited(positions, 4, async (p) => {
      await judge(tally, `flip@${p}^bit${p % 8}`, () => verify(flipBit(pkg, p, p % 8)));
      await judge(tally, `truncate@${p}`, () => verify(pkg.subarray(0, p)));
    });
    t.diagnostic(`package (${pkg.length} bytes): a bit flipped at ${positions.length} positions and cut at as many lengths`);
    report(t, 'package', tally);
  });

  /*
   * FINDING (client/src/move-in.ts, SPEC §6.2): the manifest is unsigned and its `title` is
   * "for display only, not trusted", yet the receiving device stores it as the content's title
   * and returns it: a change to the title is accepted. Everything else is refused.
   */
  let bundleRun: Promise<{ tally: Tally; title: [number, number]; genuine: Verdict; flips: number; cuts: number }> | undefined;
  const bundleTally = () =>
    (bundleRun ??= (async () => {
      const bundle = s.bundleBytes;
      const headLength = 12 + bundle.readUInt32BE(8);
      const manifest = bundle.subarray(12, headLength).toString('utf8');
      const at = (member: string) => 12 + Buffer.byteLength(manifest.slice(0, manifest.indexOf(`"${member}":"`) + member.length + 4));
      const title: [number, number] = [at('title'), at('title') + Buffer.byteLength(s.content.title)];
      const certificate: [number, number] = [at('copyCertificate'), at('copyCertificate') + s.copyCertificate.length];
      const boundary = headLength + PACKAGE_HEADER_LENGTH + DEFAULT_CHUNK_SIZE + TAG_LENGTH;
      // Flipped: every byte of the header and manifest but the copy certificate (every 7th of
      // it: the certificate test above changes all of it), of the package header, around the
      // chunk boundary and of the final tag; every 401st byte of the chunks. Cut: at every
      // length of the head, and at the package positions flipped.
      const wholly: [number, number][] = [
        [0, certificate[0]],
        [certificate[1], headLength + PACKAGE_HEADER_LENGTH + 64],
        [boundary - 64, boundary + 64],
        [bundle.length - 64, bundle.length],
      ];
      const inCertificate = (p: number) => p >= certificate[0] && p < certificate[1];
      const flips = samplePositions(bundle.length, wholly, 401)
        .concat(samplePositions(certificate[1], [], 7).filter(inCertificate))
        .sort((x, y) => x - y);
      const cuts = [...new Set([...Array(headLength).keys(), ...flips])].sort((x, y) => x - y);
      const cid = s.content.id;
      const file = path.join(s.dir, 'mutant.bundle');
      const receive = async (bytes: Buffer): Promise<Verdict> => {
        await writeFile(file, bytes);
        const result = await s.tablet.receive(file);
        // An accepted mutant is undone, so that the next one meets a tablet without the content.
        await s.tablet.store.deleteLicense(cid);
        await s.tablet.store.deleteContent(cid);
        return { accepted: true, detail: result.alreadyReceived ? 'already received' : `stored "${result.title}"` };
      };
      const tally = emptyTally();
      // One at a time: a mutant that is accepted changes the tablet until it is undone.
      for (const p of flips) await judge(tally, `flip@${p}^bit${p % 8}`, () => receive(flipBit(bundle, p, p % 8)));
      for (const p of cuts) await judge(tally, `truncate@${p}`, () => receive(bundle.subarray(0, p)));
      // Last: receiving the genuine bundle records its delivery at aurora.
      const genuine = await receive(bundle);
      return { tally, title, genuine, flips: flips.length, cuts: cuts.length };
    })());

  test('a bundle is refused by the device that receives it, but for its title', async (t) => {
    const { tally, title, genuine, flips, cuts } = await bundleTally();
    assert.deepEqual(genuine, { accepted: true, detail: `stored "${s.content.title}"` }, 'the tablet receives the genuine bundle');
    const inTitle = (label: string) => {
      const p = Number(/@(\d+)/.exec(label)?.[1]);
      return p >= title[0] && p < title[1];
    };
    t.diagnostic(
      `bundle (${s.bundleBytes.length} bytes, a bit flipped at ${flips} positions, cut at ${cuts} lengths): ${summary(tally)}; ${tally.accepted.filter(inTitle).length} accepted in the title (see the skipped test)`,
    );
    assert.deepEqual(tally.broken, [], 'bundle: every mutant is refused by the device itself, never by a crash');
    assert.deepEqual(
      tally.accepted.filter((label) => !inTitle(label)),
      [],
      'bundle: no mutant outside the manifest title is accepted',
    );
  });

  test('a bundle whose manifest title was changed is refused', {
    skip: 'FINDING: the manifest title is unsigned (SPEC §6.2: "for display only, not trusted") yet moveIn stores it as the content’s title and returns it: every single-bit change to it that stays valid UTF-8 JSON is accepted',
  }, async () => {
    const { tally } = await bundleTally();
    assert.deepEqual(tally.accepted, [], 'no change to the bundle is accepted');
  });
});
