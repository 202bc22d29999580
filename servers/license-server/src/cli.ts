import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { eq, sql } from 'drizzle-orm';
import { canonicalIssuer, IssuerError, newId, TesseraProblem, type AdminRole } from '@tessera/protocol';
import { hashPassword } from './admin/passwords.ts';
import { createAuthority } from './authorities/create-authority.ts';
import { configFromEnv, type ServerConfigInput } from './config.ts';
import { KEY_CACHE_MS } from './keys/authority-keyring.ts';
import type { AuthorityKeyRow } from './keys/key-queries.ts';
import { listKeys, retireAuthorityKey, revokeAuthorityKey, rotateAuthorityKeys, type RotationScope } from './keys/manage-keys.ts';
import { createTesseraServer } from './server.ts';
import { adminRoles, adminUsers, authorities, users } from './storage/schema.ts';
import { recordAudit } from './audit/audit-log.ts';
import type { AuthorityRef } from './authorities/authority-directory.ts';
import type { AppContext } from './context.ts';
import { addPeer, findPeerByIssuer, listPeers, refreshPeerKeys, setPeerStatus, type PeerRow } from './federation/peers.ts';
import { fetchEntityConfiguration } from './federation/remote-configuration.ts';

const program = new Command('tessera-server')
  .description('Tessera license server: serve, and administer authorities from the command line.')
  .option('--data-dir <dir>', 'data directory (embedded database, packages, key file); env TESSERA_DATA_DIR', undefined)
  .option('--database-url <url>', 'PostgreSQL URL; env DATABASE_URL (default: embedded PGlite in the data directory)');

function overrides(): Partial<ServerConfigInput> {
  const o = program.opts<{ dataDir?: string; databaseUrl?: string }>();
  return { ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}) };
}

/** Opens storage for an administrative command (migrating it), runs it, closes. */
async function withServer<T>(fn: (server: Awaited<ReturnType<typeof createTesseraServer>>) => Promise<T>): Promise<T> {
  const server = await createTesseraServer({ ...configFromEnv(process.env, overrides()), logLevel: 'warn', backgroundJobs: false });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

program
  .command('start')
  .description('serve the device, admin and federation APIs')
  .option('--host <host>', 'interface to listen on; env TESSERA_HOST', undefined)
  .option('--port <port>', 'port; env TESSERA_PORT', undefined)
  .option('--public-url <url>', 'the URL clients reach this server at; env TESSERA_PUBLIC_URL')
  .action(async (opts: { host?: string; port?: string; publicUrl?: string }) => {
    const env = { ...process.env, ...(opts.publicUrl ? { TESSERA_PUBLIC_URL: opts.publicUrl } : {}) };
    const config = configFromEnv(env, { ...overrides(), ...(opts.host ? { host: opts.host } : {}), ...(opts.port ? { port: Number(opts.port) } : {}) });
    const server = await createTesseraServer(config);
    const url = await server.listen();
    server.ctx.logger.info({ url, publicUrl: config.publicUrl, engine: server.ctx.engine }, 'Tessera license server listening');
    const stop = () => {
      server.ctx.logger.info('shutting down');
      server.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(() => withServer(async () => console.log('database is up to date')));

program
  .command('master-key')
  .description('print a new random master key for TESSERA_MASTER_KEY')
  .action(() => console.log(randomBytes(32).toString('base64')));

const authority = program.command('authority').description('manage authorities');
authority
  .command('create')
  .requiredOption('--slug <slug>', 'short name: the issuer is <public URL>/t/<slug>')
  .requiredOption('--name <name>', 'display name')
  .option('--operator <operator>', 'who operates it')
  .option('--currency <code>', 'ISO 4217 currency', 'EUR')
  .option('--device-limit <n>', 'devices per user', '12')
  .option('--license-price <minor units>')
  .option('--move-price <minor units>')
  .option('--federation-fee <minor units>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const n = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 10));
      const row = await ctx.db.transaction(async (tx) => {
        const created = await createAuthority(ctx, tx, {
          slug: o.slug,
          name: o.name,
          operator: o.operator ?? null,
          currency: o.currency,
          deviceLimit: n(o.deviceLimit) ?? 12,
          prices: { license: n(o.licensePrice), move: n(o.movePrice), federationFee: n(o.federationFee) },
        });
        await recordAudit(tx, { authorityId: created.id, actor: 'cli', action: 'authority.create', target: created.slug });
        return created;
      });
      console.log(`authority ${row.slug} created: issuer ${ctx.authorities.issuer(row.slug)}`);
    }),
  );
authority
  .command('list')
  .action(() =>
    withServer(async ({ ctx }) => {
      for (const a of await ctx.db.select().from(authorities)) console.log(`${a.slug}\t${ctx.authorities.issuer(a.slug)}\t${a.name}`);
    }),
  );
authority
  .command('show')
  .description('print an authority\'s issuer, name and the thumbprint peers pin (compare it out of band)')
  .requiredOption('--authority <slug>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const ref = await ctx.authorities.bySlug(o.authority);
      const [row] = await ctx.db.select().from(authorities).where(eq(authorities.id, ref.id));
      const keys = await listKeys(ctx, ref);
      const signing = keys.find((k) => k.use === 'sig' && k.status === 'active');
      const next = keys.find((k) => k.use === 'sig' && k.status === 'next');
      console.log(`issuer      ${ref.issuer}`);
      console.log(`name        ${row!.name}`);
      console.log(`operator    ${row!.operator ?? '-'}`);
      console.log(`thumbprint  ${signing?.kid ?? '(no active signing key)'}`);
      if (next) console.log(`next        ${next.kid}`);
      console.log(`\nThe thumbprint is the RFC 7638 thumbprint of the key that signs ${ref.issuer}/.well-known/tessera-authority;`);
      console.log('a peer\'s operator pins it when adding this authority: compare it with them out of band.');
    }),
  );

const keyLine = (k: AuthorityKeyRow) =>
  [
    k.use,
    k.status.padEnd(7),
    k.kid,
    `created ${k.createdAt.toISOString()}`,
    ...(k.activatedAt ? [`activated ${k.activatedAt.toISOString()}`] : []),
    ...(k.retiredAt ? [`retired ${k.retiredAt.toISOString()}`] : []),
    ...(k.revokedAt ? [`revoked ${k.revokedAt.toISOString()}`] : []),
  ].join('\t');
const runningServersNote = `running servers pick the change up within ${KEY_CACHE_MS / 1000} s`;

const keys = program.command('keys').description("manage an authority's signing and encryption keys (next → active → retired → revoked)");
keys
  .command('list')
  .description('every key of the authority with its use and state')
  .requiredOption('--authority <slug>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      for (const k of await listKeys(ctx, await ctx.authorities.bySlug(o.authority))) console.log(keyLine(k));
    }),
  );
keys
  .command('rotate')
  .description('the next key becomes active, the active one retired (still published), a fresh next key is published')
  .requiredOption('--authority <slug>')
  .addOption(new Option('--use <use>', 'which keys to rotate').choices(['sig', 'enc', 'both']).default('both'))
  .action((o) =>
    withServer(async ({ ctx }) => {
      const { rotations } = await rotateAuthorityKeys(ctx, await ctx.authorities.bySlug(o.authority), 'cli', o.use as RotationScope);
      for (const r of rotations) {
        if (r.activated) console.log(`${r.use}: ${r.activated} active, ${r.retired ?? '-'} retired, ${r.next} next`);
        else console.log(`${r.use}: there was no next key; ${r.next} is announced as next and becomes active at the following rotation`);
      }
      console.log(runningServersNote);
    }),
  );
keys
  .command('retire')
  .description('retire the active key of its use: the next key takes over (a rotation of that use)')
  .requiredOption('--authority <slug>')
  .requiredOption('--kid <kid>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const key = await retireAuthorityKey(ctx, await ctx.authorities.bySlug(o.authority), 'cli', o.kid);
      console.log(`key ${key.kid} retired: it stays published for verification; ${runningServersNote}`);
    }),
  );
keys
  .command('revoke')
  .description('withdraw a next or retired key from the key set and the entity configuration')
  .requiredOption('--authority <slug>')
  .requiredOption('--kid <kid>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const { key, replacedBy } = await revokeAuthorityKey(ctx, await ctx.authorities.bySlug(o.authority), 'cli', o.kid);
      console.log(`key ${key.kid} revoked: it is no longer published${replacedBy ? `; ${replacedBy} is the new next ${key.use} key` : ''}; ${runningServersNote}`);
    }),
  );

program
  .command('admin')
  .description('manage administrator accounts')
  .command('create')
  .requiredOption('--email <email>')
  .requiredOption('--password <password>')
  .option('--name <name>')
  .option('--operator', 'a server operator (may create authorities)', false)
  .option('--authority <slug>', 'grant a role in this authority')
  .addOption(new Option('--role <role>', 'the role in --authority').choices(['owner', 'admin', 'billing', 'viewer']).default('owner'))
  .action((o) =>
    withServer(async ({ ctx }) => {
      const authorityRef = o.authority ? await ctx.authorities.bySlug(o.authority) : null;
      await ctx.db.transaction(async (tx) => {
        const [existing] = await tx.select().from(adminUsers).where(eq(sql`lower(${adminUsers.email})`, String(o.email).toLowerCase()));
        const id = existing?.id ?? newId('admin');
        if (!existing) {
          await tx.insert(adminUsers).values({ id, email: o.email, name: o.name ?? null, passwordHash: await hashPassword(o.password), isOperator: Boolean(o.operator) });
        }
        if (authorityRef) {
          await tx
            .insert(adminRoles)
            .values({ authorityId: authorityRef.id, adminId: id, role: o.role as AdminRole })
            .onConflictDoUpdate({ target: [adminRoles.authorityId, adminRoles.adminId], set: { role: o.role as AdminRole } });
        }
        await recordAudit(tx, { authorityId: authorityRef?.id ?? null, actor: 'cli', action: 'admin.create', target: o.email, details: { role: authorityRef ? o.role : null } });
      });
      console.log(`administrator ${o.email} ready${authorityRef ? ` (${o.role} of ${authorityRef.slug})` : ''}`);
    }),
  );

program
  .command('user')
  .description('manage user accounts')
  .command('create')
  .requiredOption('--authority <slug>')
  .requiredOption('--username <username>')
  .requiredOption('--password <password>')
  .option('--display-name <name>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const a = await ctx.authorities.bySlug(o.authority);
      await ctx.db.insert(users).values({ authorityId: a.id, id: newId('user'), username: o.username, displayName: o.displayName ?? null, passwordHash: await hashPassword(o.password) });
      console.log(`user ${o.username} created at ${a.issuer}`);
    }),
  );

const peer = program.command('peer').description("manage an authority's peers: other authorities it federates with (SPEC §10.3)");
const peerLine = (p: PeerRow) => `${p.issuer}\t${p.status}\tpinned ${p.pinnedThumbprint}\t${p.name ?? ''}\tlast contact ${p.lastContactAt?.toISOString() ?? '-'} (${p.lastOutcome ?? '-'})`;
/** `--issuer` in its canonical form (SPEC §1.3), or commander's refusal naming the option. */
function issuerArgument(value: string): string {
  try {
    return canonicalIssuer(value);
  } catch (error) {
    if (error instanceof IssuerError) throw new InvalidArgumentError(`the issuer ${error.message}.`);
    throw error;
  }
}
/** The peer of `--authority` with issuer `--issuer`, or a clear refusal. */
async function peerOf(ctx: AppContext, slug: string, issuer: string): Promise<{ authority: AuthorityRef; row: PeerRow }> {
  const authority = await ctx.authorities.bySlug(slug);
  const row = await findPeerByIssuer(ctx.db, authority.id, issuer);
  if (!row) throw new TesseraProblem('peer_unknown', `${authority.issuer} does not peer with ${issuer}`);
  return { authority, row };
}
peer
  .command('discover')
  .description("fetch an authority's entity configuration and print the thumbprint to compare with its operator")
  .requiredOption('--issuer <url>', "the peer authority's issuer URL", issuerArgument)
  .action((o) =>
    withServer(async () => {
      const { claims, signedBy } = await fetchEntityConfiguration(o.issuer);
      console.log(`${claims.name}${claims.operator ? ` (${claims.operator})` : ''}\nissuer      ${claims.iss}\nthumbprint  ${signedBy}\nversions    ${claims.versions.join(', ')}`);
    }),
  );
peer
  .command('add')
  .description('peer with an authority, pinning the thumbprint you compared out of band')
  .requiredOption('--authority <slug>')
  .requiredOption('--issuer <url>', "the peer authority's issuer URL", issuerArgument)
  .requiredOption('--thumbprint <thumbprint>')
  .option('--name <name>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const row = await addPeer(ctx, await ctx.authorities.bySlug(o.authority), 'cli', { issuer: o.issuer, thumbprint: o.thumbprint, name: o.name });
      console.log(`peer added: ${peerLine(row)}`);
    }),
  );
peer
  .command('list')
  .requiredOption('--authority <slug>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const rows = await listPeers(ctx.db, (await ctx.authorities.bySlug(o.authority)).id);
      console.log(rows.length ? rows.map(peerLine).join('\n') : 'no peers');
    }),
  );
for (const [name, description] of [
  ['suspend', 'refuse its envelopes and hold moves to it'],
  ['resume', 'trust it again'],
  ['refresh', 'refetch its configuration (new keys accepted only when signed by a trusted key)'],
] as const) {
  peer
    .command(name)
    .description(description)
    .requiredOption('--authority <slug>')
    .requiredOption('--issuer <url>', "the peer authority's issuer URL", issuerArgument)
    .action((o) =>
      withServer(async ({ ctx }) => {
        const { authority, row } = await peerOf(ctx, o.authority, o.issuer);
        const updated =
          name === 'refresh' ? await refreshPeerKeys(ctx, authority, row, 'cli') : await setPeerStatus(ctx, authority, row.id, name === 'suspend' ? 'suspended' : 'active', 'cli');
        console.log(peerLine(updated));
      }),
    );
}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof TesseraProblem) console.error(`error: ${error.detail ?? error.message} (${error.code})`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
