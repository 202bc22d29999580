import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { canonicalIssuer, IssuerError, TesseraProblem, type AdminRole } from '@tessera/protocol';
import { addAdministrator, createAdministratorAccount } from './admin/manage-admins.ts';
import { CLI_ACTOR } from './audit/actor.ts';
import { findAuthority, listAuthorities } from './authorities/authority-queries.ts';
import { createAuthority } from './authorities/create-authority.ts';
import { priceList, setPrices } from './billing/manage-prices.ts';
import type { PriceList } from './billing/price-queries.ts';
import { ConfigError, configFromEnv, type ServerConfigInput } from './config.ts';
import { toProblem } from './http/errors.ts';
import { KEY_CACHE_MS } from './keys/authority-keyring.ts';
import type { AuthorityKeyRow } from './keys/key-queries.ts';
import { listKeys, retireAuthorityKey, revokeAuthorityKey, rotateAuthorityKeys, type RotationScope } from './keys/manage-keys.ts';
import { createTesseraServer } from './server.ts';
import { createUser } from './users/manage-users.ts';
import type { AuthorityRef } from './authorities/authority-directory.ts';
import type { AppContext } from './context.ts';
import { addPeer, refreshPeer, setPeerStatus } from './federation/manage-peers.ts';
import { findPeerByIssuer, listPeers, type PeerRow } from './federation/peers.ts';
import { fetchEntityConfiguration } from './federation/remote-configuration.ts';

const program = new Command('tessera-server')
  .description('Tessera license server: serve, and administer authorities from the command line.')
  // Usage errors end with exit code 2 (see the catch at the bottom), refused actions with 1.
  .exitOverride()
  .option('--data-dir <dir>', 'data directory (embedded database, packages, key file); env TESSERA_DATA_DIR', undefined)
  .option('--database-url <url>', 'PostgreSQL URL; env DATABASE_URL (default: embedded PGlite in the data directory)');

function overrides(): Partial<ServerConfigInput> {
  const o = program.opts<{ dataDir?: string; databaseUrl?: string }>();
  return { ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}) };
}

/** A number from the command line; what is not one becomes NaN, refused by the domain's schema as the API refuses it. */
const wholeNumber = (value: string | undefined): number | undefined => (value === undefined ? undefined : value.trim() === '' ? Number.NaN : Number(value));

/** A usage error: the command cannot run as given. Exit code 2. */
class UsageError extends Error {}

/**
 * Opens storage for an administrative command (migrating it), runs it, closes. Only the commands
 * that set a server up may start from nothing; the others refuse a data directory that holds no
 * database rather than create an empty one (and a master key) wherever they were run.
 */
async function withServer<T>(fn: (server: Awaited<ReturnType<typeof createTesseraServer>>) => Promise<T>, options: { mayCreate?: boolean } = {}): Promise<T> {
  const config = configFromEnv(process.env, overrides());
  if (!options.mayCreate && !config.databaseUrl && !existsSync(path.join(config.dataDir, 'db'))) {
    throw new UsageError(
      `no Tessera data directory at ${config.dataDir} (it holds no database); give --data-dir or TESSERA_DATA_DIR of a server, or DATABASE_URL`,
    );
  }
  const server = await createTesseraServer({ ...config, logLevel: 'warn', backgroundJobs: false });
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
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(() => withServer(async () => console.log('database is up to date'), { mayCreate: true }));

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
  .option('--device-limit <n>', 'devices per user')
  .option('--license-price <minor units>')
  .option('--move-price <minor units>')
  .option('--federation-fee <minor units>')
  .action((o) =>
    withServer(
      async ({ ctx }) => {
        const row = await createAuthority(ctx, CLI_ACTOR, {
          slug: o.slug,
          name: o.name,
          operator: o.operator,
          currency: o.currency,
          deviceLimit: wholeNumber(o.deviceLimit),
          prices: { license: wholeNumber(o.licensePrice), move: wholeNumber(o.movePrice), federationFee: wholeNumber(o.federationFee) },
        });
        console.log(`authority ${row.slug} created: issuer ${ctx.authorities.issuer(row.slug)}`);
      },
      { mayCreate: true },
    ),
  );
authority.command('list').action(() =>
  withServer(async ({ ctx }) => {
    for (const a of await listAuthorities(ctx.db)) console.log(`${a.slug}\t${ctx.authorities.issuer(a.slug)}\t${a.name}`);
  }),
);
authority
  .command('show')
  .description("print an authority's issuer, name and the thumbprint peers pin (compare it out of band)")
  .requiredOption('--authority <slug>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      const ref = await ctx.authorities.bySlug(o.authority);
      const row = await findAuthority(ctx.db, ref.id);
      const keys = await listKeys(ctx, ref);
      const signing = keys.find((k) => k.use === 'sig' && k.status === 'active');
      const next = keys.find((k) => k.use === 'sig' && k.status === 'next');
      console.log(`issuer      ${ref.issuer}`);
      console.log(`name        ${row!.name}`);
      console.log(`operator    ${row!.operator ?? '-'}`);
      console.log(`thumbprint  ${signing?.kid ?? '(no active signing key)'}`);
      if (next) console.log(`next        ${next.kid}`);
      console.log(`\nThe thumbprint is the RFC 7638 thumbprint of the key that signs ${ref.issuer}/.well-known/tessera-authority;`);
      console.log("a peer's operator pins it when adding this authority: compare it with them out of band.");
    }),
  );

/** A price option: whole minor units, or `none` to remove the price (the API's null). */
const priceOption = (value: string | undefined): number | null | undefined => (value?.trim().toLowerCase() === 'none' ? null : wholeNumber(value));
const amountText = (amount: number | null) => (amount === null ? 'none' : String(amount));
function printPriceList(list: PriceList): void {
  console.log(`currency        ${list.currency}`);
  console.log(`license         ${amountText(list.license)}`);
  console.log(`move            ${amountText(list.move)}`);
  console.log(`federation fee  ${amountText(list.federationFee)}`);
  for (const o of list.overrides) console.log(`override        ${o.contentId}\tlicense ${amountText(o.license)}\tmove ${amountText(o.move)}\t${o.title}`);
}

const prices = program
  .command('prices')
  .alias('price')
  .description("manage an authority's price list, in minor units of its currency (299 is 2.99 EUR); a supply without a price is refused");
prices
  .command('show')
  .description('the price list, and the contents that override it')
  .requiredOption('--authority <slug>')
  .action((o) =>
    withServer(async ({ ctx }) => {
      printPriceList(await priceList(ctx, await ctx.authorities.bySlug(o.authority)));
    }),
  );
prices
  .command('set')
  .description('change prices: a number of minor units sets one, `none` removes it; what is not given stays')
  .requiredOption('--authority <slug>')
  .option('--currency <code>', 'ISO 4217 currency of the authority')
  .option('--license-price <minor units|none>')
  .option('--move-price <minor units|none>')
  .option('--federation-fee <minor units|none>', 'what a peer owes for a copy certificate signed on its behalf')
  .action((o) => {
    const changes = { currency: o.currency, license: priceOption(o.licensePrice), move: priceOption(o.movePrice), federationFee: priceOption(o.federationFee) };
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change: give --currency, --license-price, --move-price or --federation-fee');
    }
    return withServer(async ({ ctx }) => {
      printPriceList(await setPrices(ctx, await ctx.authorities.bySlug(o.authority), CLI_ACTOR, changes));
    });
  });

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
      const { rotations } = await rotateAuthorityKeys(ctx, await ctx.authorities.bySlug(o.authority), CLI_ACTOR, o.use as RotationScope);
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
      const key = await retireAuthorityKey(ctx, await ctx.authorities.bySlug(o.authority), CLI_ACTOR, o.kid);
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
      const { key, replacedBy } = await revokeAuthorityKey(ctx, await ctx.authorities.bySlug(o.authority), CLI_ACTOR, o.kid);
      console.log(
        `key ${key.kid} revoked: it is no longer published${replacedBy ? `; ${replacedBy} is the new next ${key.use} key` : ''}; ${runningServersNote}`,
      );
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
    withServer(
      async ({ ctx }) => {
        const operator = { operator: Boolean(o.operator) };
        if (!o.authority) {
          await createAdministratorAccount(ctx, CLI_ACTOR, { email: o.email, password: o.password, name: o.name }, operator);
          console.log(`administrator ${o.email} created${o.operator ? ' (server operator)' : ''}`);
          return;
        }
        const authority = await ctx.authorities.bySlug(o.authority);
        await addAdministrator(ctx, authority, CLI_ACTOR, { email: o.email, password: o.password, name: o.name, role: o.role as AdminRole }, operator);
        console.log(`administrator ${o.email} ready (${o.role} of ${authority.slug})`);
      },
      { mayCreate: !o.authority },
    ),
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
      await createUser(ctx, a, CLI_ACTOR, { username: o.username, password: o.password, displayName: o.displayName });
      console.log(`user ${o.username} created at ${a.issuer}`);
    }),
  );

const peer = program.command('peer').description("manage an authority's peers: other authorities it federates with (SPEC §10.3)");
const peerLine = (p: PeerRow) =>
  `${p.issuer}\t${p.status}\tpinned ${p.pinnedThumbprint}\t${p.name ?? ''}\tlast contact ${p.lastContactAt?.toISOString() ?? '-'} (${p.lastOutcome ?? '-'})`;
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
    // Reads no storage: only the settings (the peer timeout).
    fetchEntityConfiguration(o.issuer, configFromEnv(process.env, overrides())).then(({ claims, signedBy }) => {
      console.log(
        `${claims.name}${claims.operator ? ` (${claims.operator})` : ''}\nissuer      ${claims.iss}\nthumbprint  ${signedBy}\nversions    ${claims.versions.join(', ')}`,
      );
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
      const row = await addPeer(ctx, await ctx.authorities.bySlug(o.authority), CLI_ACTOR, { issuer: o.issuer, thumbprint: o.thumbprint, name: o.name });
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
          name === 'refresh'
            ? await refreshPeer(ctx, authority, CLI_ACTOR, row.id)
            : await setPeerStatus(ctx, authority, CLI_ACTOR, row.id, name === 'suspend' ? 'suspended' : 'active');
        console.log(peerLine(updated));
      }),
    );
}

/**
 * Exit codes: 0 done, 1 refused (the server's problem code is printed), 2 bad usage (commander's
 * own message, an invalid value, or no data directory). One line on stderr; never SQL or a stack.
 */
program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof UsageError || error instanceof ConfigError) {
    for (const line of error.message.split('\n')) console.error(`error: ${line}`);
    process.exit(2);
  }
  const problem = toProblem(error);
  if (problem) {
    console.error(`error: ${problem.detail ?? problem.message} (${problem.code})`);
    process.exit(problem.code === 'invalid_request' ? 2 : 1);
  }
  console.error(`error: ${describeFailure(error)}`);
  process.exit(1);
});

/** What went wrong, without the SQL text or parameters a database driver's message carries. */
function describeFailure(error: unknown): string {
  let e = error as { message?: unknown; cause?: unknown } | undefined;
  while (e && typeof e.message === 'string' && e.message.startsWith('Failed query') && e.cause) e = e.cause as typeof e;
  if (e && typeof e.message === 'string' && !e.message.startsWith('Failed query')) return e.message;
  return 'the database refused the command';
}
