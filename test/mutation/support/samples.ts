import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Device } from '@tessera/client';
import { decodeJwsUnverified, ENTITY_CONFIGURATION_PATH, unwrapContentKey } from '@tessera/protocol';
import { readBundleManifest } from '@tessera/protocol/node';
import type { AuthorityRef } from '../../../servers/license-server/src/authorities/authority-directory.ts';
import { createLinkAssertion } from '../../../servers/license-server/src/federation/account-links.ts';
import { sealEnvelope } from '../../../servers/license-server/src/federation/envelope.ts';
import { findPeerByIssuer, type PeerRow } from '../../../servers/license-server/src/federation/peers.ts';
import { registered, startFederation, type Federation } from '../../../servers/license-server/test/federation/federation-fixtures.ts';
import type { TestDevice } from '../../../servers/license-server/test/support/harness.ts';

/**
 * One real sample of every token, a package and a bundle, made by two running license servers
 * (aurora and borealis, peered, PGlite in memory, 127.0.0.1 only) and the device SDK: a phone
 * and a tablet at aurora, the phone's content moved to the tablet; a device at borealis.
 */
export interface Samples {
  federation: Federation;
  aurora: AuthorityRef;
  borealis: AuthorityRef;
  /** Aurora as borealis knows it: the peer whose keys verify aurora's tokens there. */
  auroraAtBorealis: PeerRow;
  /** The phone's registration, as the device received it. */
  phone: { clientId: string; leafId: number; userId: string; clientCertificate: string; publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string } };
  /** The tablet: the destination of the move, which has not received its bundle yet. */
  tablet: Device;
  /** A device at aurora that speaks the wire protocol directly, for device proofs. */
  prober: TestDevice;
  /** A device of alice at borealis, presenting link assertions there. */
  presenter: TestDevice;
  content: { id: string; title: string; contentKey: Uint8Array };
  license: string;
  copyCertificate: string;
  entityConfiguration: string;
  packageBytes: Buffer;
  bundleBytes: Buffer;
  /** A fresh `ping` envelope from aurora to borealis: envelopes are single-use. */
  freshEnvelope(): Promise<string>;
  /** A fresh link assertion of alice at aurora for borealis: assertions are single-use. */
  freshLinkAssertion(): Promise<string>;
  /** A fresh proof for `GET /t/aurora/me` by the prober: proofs are single-use. */
  freshProof(): Promise<string>;
  /** Where tests may write files; removed by close(). */
  dir: string;
  close(): Promise<void>;
}

/** Two chunks: the package's final-chunk flag and chunk boundary are part of what is mutated. */
export const PLAINTEXT_LENGTH = 65_536 + 1000;

export async function makeSamples(): Promise<Samples> {
  const federation = await startFederation();
  const { a, b } = federation;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-mutation-'));
  try {
    const aurora = await a.h.server.ctx.authorities.bySlug(a.authority.slug);
    const borealis = await b.h.server.ctx.authorities.bySlug(b.authority.slug);
    const auroraAtBorealis = await findPeerByIssuer(b.h.server.ctx.db, borealis.id, aurora.issuer);
    if (!auroraAtBorealis) throw new Error('borealis does not peer with aurora');

    const title = 'Mutation sample';
    const uploaded = await a.admin
      .post(`/admin/authorities/${a.authority.slug}/contents`)
      .query({ title, mediaType: 'application/octet-stream' })
      .set('Content-Type', 'application/octet-stream')
      .send(randomBytes(PLAINTEXT_LENGTH));
    if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status} ${JSON.stringify(uploaded.body)}`);
    const contentId: string = uploaded.body.id;

    const open = async (name: string) => {
      const device = await Device.open(path.join(dir, name));
      await device.register({ authority: aurora.issuer, username: a.alice.username, password: a.alice.password, label: name });
      return device;
    };
    const phone = await open('phone');
    const tablet = await open('tablet');
    await phone.download(contentId);
    const license = (await phone.license(contentId)).token;
    const phoneKey = await phone.store.readPrivateKey();
    if (!phoneKey) throw new Error('the phone has no key');
    const packageBytes = await readFile(phone.store.packagePath(contentId));
    const contentKey = await unwrapContentKey(String(decodeJwsUnverified(license).payload.key), phoneKey);
    const phoneRecord = phone.registration;

    const bundlePath = path.join(dir, 'sample.bundle');
    await phone.move(contentId, { to: tablet.registration.clientId, bundle: bundlePath });
    const bundleBytes = await readFile(bundlePath);
    const { manifest } = await readBundleManifest(bundlePath);

    const configured = await fetch(`${aurora.issuer}${ENTITY_CONFIGURATION_PATH}`);
    if (configured.status !== 200) throw new Error(`entity configuration: HTTP ${configured.status}`);
    const entityConfiguration = (await configured.text()).trim();

    const prober = await registered(a, 'prober');
    const presenter = await registered(b, 'presenter');

    return {
      federation,
      aurora,
      borealis,
      auroraAtBorealis,
      phone: {
        clientId: phoneRecord.clientId,
        leafId: phoneRecord.leafId,
        userId: phoneRecord.user.id,
        clientCertificate: phoneRecord.clientCertificate,
        publicJwk: { kty: 'EC', crv: 'P-256', x: String(phoneKey.x), y: String(phoneKey.y) },
      },
      tablet,
      prober,
      presenter,
      content: { id: contentId, title, contentKey },
      license,
      copyCertificate: manifest.copyCertificate,
      entityConfiguration,
      packageBytes,
      bundleBytes,
      freshEnvelope: async () => (await sealEnvelope(a.h.server.ctx, aurora, borealis.issuer, 'ping', {})).token,
      freshLinkAssertion: async () => (await createLinkAssertion(a.h.server.ctx, aurora, a.alice.id, borealis.issuer)).assertion,
      freshProof: () => prober.proofFor('GET', '/me'),
      dir,
      async close() {
        await federation.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await federation.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
