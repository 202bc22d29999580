import { Command, CommanderError } from 'commander';
import cliProgress from 'cli-progress';
import type { Money } from '@tessera/protocol';
import { Device, type DeviceIdentity, type DeviceOptions } from './device.ts';
import type { DownloadProgress } from './http.ts';
import { describeFailure, DeviceError } from './errors.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

interface GlobalOptions {
  home?: string;
  json?: boolean;
}

interface CommandContext {
  device: Device;
  json: boolean;
  io: CliIo;
  /** Prints the JSON value with --json, the human text otherwise. */
  emit: (value: unknown, human: () => string) => void;
}

/**
 * Runs `tessera-device` and resolves with its exit code: 0 on success, 1 on any failure,
 * with one line on stderr (and `{"error": …}` on stdout with --json) — never a stack trace
 * for a failure the device or the authority explains.
 */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
  deviceOptions: DeviceOptions = {},
): Promise<number> {
  const wantsJson = argv.includes('--json');
  const program = buildProgram(io, deviceOptions);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its own message (usage errors) or the help text.
      if (error.exitCode === 0) return 0;
      if (wantsJson) writeJson(io.stdout, { error: { code: 'invalid_input', detail: error.message.replace(/^error: /, '') } });
      return 1;
    }
    const failure = describeFailure(error);
    if (failure) {
      io.stderr.write(`error: ${failure.detail} (${failure.code})\n`);
      if (wantsJson) writeJson(io.stdout, { error: failure });
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    if (io.env.TESSERA_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (wantsJson) writeJson(io.stdout, { error: { code: 'internal', detail: message } });
    return 1;
  }
}

export function buildProgram(io: CliIo, deviceOptions: DeviceOptions = {}): Command {
  const program = new Command('tessera-device')
    .description('Tessera device: register with an authority, acquire, play and move protected content')
    .option('--home <dir>', 'device home directory (default: $TESSERA_DEVICE_HOME or ~/.tessera-device)')
    .option('--json', 'print machine-readable JSON on stdout')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)');

  const withDevice =
    <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      const json = Boolean(globals.json);
      const device = await Device.open(globals.home ?? io.env.TESSERA_DEVICE_HOME, deviceOptions);
      const emit = (value: unknown, human: () => string) => {
        if (json) writeJson(io.stdout, value);
        else io.stdout.write(`${human()}\n`);
      };
      await handler({ device, json, io, emit }, ...args);
    };

  program
    .command('register')
    .description('register this device with an authority (creates its key pair)')
    .requiredOption('--authority <url>', 'issuer URL of the authority, e.g. https://licenses.example/t/store')
    .requiredOption('--username <name>', 'your account at the authority')
    .option('--password <password>', 'your password (default: $TESSERA_PASSWORD)')
    .option('--label <label>', 'a name for this device')
    .action(
      withDevice(async (ctx, options: { authority: string; username: string; password?: string; label?: string }) => {
        const password = options.password ?? ctx.io.env.TESSERA_PASSWORD;
        if (!password) throw new DeviceError('invalid_input', 'a password is needed: --password or $TESSERA_PASSWORD');
        const identity = await ctx.device.register({
          authority: options.authority,
          username: options.username,
          password,
          ...(options.label !== undefined ? { label: options.label } : {}),
        });
        ctx.emit(
          identityJson(identity),
          () =>
            `Registered device ${identity.clientId} (leaf ${identity.leafId}) for ${identity.user} at ${identity.authority}; its state is in ${ctx.device.home}.`,
        );
      }),
    );

  program
    .command('whoami')
    .description('show this device and its user, as the authority sees them')
    .option('--id', 'print only the client ID (for scripts: --to "$(tessera-device --home … whoami --id)")')
    .action(
      withDevice(async (ctx, options: { id?: boolean }) => {
        const identity = await ctx.device.whoami();
        if (options.id) return ctx.emit(identity.clientId, () => identity.clientId);
        ctx.emit(identityJson(identity), () =>
          formatPairs([
            ['client', identity.clientId],
            ['leaf', String(identity.leafId)],
            ['label', identity.label ?? '-'],
            ['user', `${identity.user} (${identity.userId})`],
            ['authority', identity.authority],
            ['home', ctx.device.home],
          ]),
        );
      }),
    );

  program
    .command('catalog')
    .description("list the authority's contents")
    .action(
      withDevice(async (ctx) => {
        const entries = await ctx.device.catalog();
        const held = new Map((await ctx.device.list()).map((h) => [h.contentId, h] as const));
        ctx.emit(entries, () =>
          entries.length === 0
            ? 'The catalogue is empty.'
            : formatTable(
                ['ID', 'TITLE', 'SIZE', 'PRICE', 'STATUS', 'ON DEVICE'],
                entries.map((e) => {
                  const h = held.get(e.id);
                  const local = h ? [h.hasPackage ? 'package' : null, h.state ? `license ${h.state}` : null].filter(Boolean).join(', ') : '';
                  return [e.id, e.title, formatBytes(e.size), e.price ? formatMoney(e.price) : '-', e.status, local || '-'];
                }),
              ),
        );
      }),
    );

  program
    .command('download')
    .description('download the encrypted package of a content (resumes an interrupted download)')
    .argument('<contentId>')
    .action(
      withDevice(async (ctx, contentId: string) => {
        const result = await withProgress(ctx, (onProgress) => ctx.device.download(contentId, { onProgress }));
        ctx.emit(result, () => describeDownload(result));
      }),
    );

  program
    .command('license')
    .description('obtain a license for a content (this is the purchase)')
    .argument('<contentId>')
    .action(
      withDevice(async (ctx, contentId: string) => {
        const license = await ctx.device.license(contentId);
        ctx.emit(license, () => describeLicense(license));
      }),
    );

  program
    .command('acquire')
    .description('download and license a content')
    .argument('<contentId>')
    .action(
      withDevice(async (ctx, contentId: string) => {
        const { download, license } = await withProgress(ctx, (onProgress) => ctx.device.acquire(contentId, { onProgress }));
        ctx.emit({ ...license, download }, () => `${describeDownload(download)}\n${describeLicense(license)}`);
      }),
    );

  program
    .command('play')
    .description('verify the license and decrypt the content into a file')
    .argument('<contentId>')
    .requiredOption('--out <file>', 'where to write the decrypted content')
    .action(
      withDevice(async (ctx, contentId: string, options: { out: string }) => {
        const result = await ctx.device.play(contentId, { out: options.out });
        ctx.emit(result, () => `Played ${contentId} into ${result.out} (${formatBytes(result.bytes)}); plays left: ${result.playsLeft ?? 'unlimited'}.`);
      }),
    );

  program
    .command('list')
    .description('list the contents on this device and the state of their licenses')
    .option('--refresh', 'ask the authority for the current state of each license first')
    .action(
      withDevice(async (ctx, options: { refresh?: boolean }) => {
        const held = await ctx.device.list({ refresh: Boolean(options.refresh) });
        ctx.emit(held, () =>
          held.length === 0
            ? 'This device holds no content.'
            : formatTable(
                ['CONTENT', 'TITLE', 'LICENSE', 'STATE', 'PACKAGE', 'PLAYS'],
                held.map((h) => [
                  h.contentId,
                  h.title ?? '-',
                  h.licenseId ?? '-',
                  h.state ?? '-',
                  h.hasPackage ? 'yes' : 'no',
                  h.rights?.maxPlays !== undefined ? `${h.playCount}/${h.rights.maxPlays}` : String(h.playCount),
                ]),
              ),
        );
      }),
    );

  program
    .command('move')
    .description('move a content to another device of yours: writes a bundle for it and gives up this copy')
    .argument('<contentId>')
    .requiredOption('--to <device>', "the destination device: its client ID, or the label of one of your devices at this device's authority")
    .option('--to-authority <url>', "the destination's authority (issuer URL); this device's own by default")
    .requiredOption('--bundle <file>', 'where to write the bundle for the destination')
    .action(
      withDevice(async (ctx, contentId: string, options: { to: string; toAuthority?: string; bundle: string }) => {
        const result = await ctx.device.move(contentId, {
          to: options.to,
          bundle: options.bundle,
          ...(options.toAuthority !== undefined ? { toAuthority: options.toAuthority } : {}),
        });
        ctx.emit(result, () =>
          [
            `Moved ${contentId} to ${result.destination.clientId} at ${result.destination.authority} (move ${result.moveId})${result.charged ? `, charged ${formatMoney(result.charged)}` : ''}.`,
            `Bundle: ${result.bundle} — hand it to the destination and run "tessera-device receive" there.`,
            result.certificateVerified ? null : "Note: the destination authority's keys could not be fetched; the destination will verify the certificate.",
            'This device no longer holds the content.',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );

  program
    .command('receive')
    .description('take in a content moved from another device of yours')
    .argument('<bundle>')
    .action(
      withDevice(async (ctx, bundle: string) => {
        const result = await ctx.device.receive(bundle);
        ctx.emit(
          result,
          () =>
            `${result.alreadyReceived ? 'Already received' : 'Received'} "${result.title}" (${result.contentId}) with license ${result.licenseId} (move ${result.moveId})${result.acknowledged ? '' : '; the authority could not be told yet'}.`,
        );
      }),
    );

  program
    .command('devices')
    .description("list your devices at this device's authority")
    .action(
      withDevice(async (ctx) => {
        const own = ctx.device.registration.clientId;
        const devices = (await ctx.device.devices()).map((d) => ({ ...d, current: d.clientId === own }));
        ctx.emit(devices, () =>
          formatTable(
            ['', 'CLIENT', 'LEAF', 'LABEL', 'STATUS', 'REGISTERED'],
            devices.map((d) => [d.current ? '*' : '', d.clientId, String(d.leafId), d.label ?? '-', d.status, d.registeredAt]),
          ),
        );
      }),
    );

  program
    .command('deactivate')
    .description('deactivate one of your devices (it is refused from then on)')
    .argument('<clientId>')
    .action(
      withDevice(async (ctx, clientId: string) => {
        const device = await ctx.device.deactivate(clientId);
        const self = clientId === ctx.device.registration.clientId;
        ctx.emit(device, () => `Deactivated device ${device.clientId}${self ? ' (this device: it can no longer talk to its authority)' : ''}.`);
      }),
    );

  program
    .command('link-assertion')
    .description("get a link assertion for a peer authority: proof that you are signed in here, to present there with 'link'")
    .requiredOption('--for <issuer URL>', 'the peer authority where you will present it')
    .action(
      withDevice(async (ctx, options: { for: string }) => {
        const result = await ctx.device.linkAssertion(options.for);
        ctx.emit(result, () => result.assertion);
      }),
    );

  program
    .command('link')
    .description('link your account here to the account a link assertion from a peer authority vouches for')
    .argument('<assertion>')
    .action(
      withDevice(async (ctx, assertion: string) => {
        const link = await ctx.device.link(assertion);
        ctx.emit(link, () => `Linked to ${link.peerUser} (link ${link.linkId}).`);
      }),
    );

  program
    .command('links')
    .description('list your account links to peer authorities')
    .action(
      withDevice(async (ctx) => {
        const links = await ctx.device.links();
        ctx.emit(links, () => (links.length ? links.map((l) => `${l.linkId}  ${l.peerUser}  since ${l.createdAt}`).join('\n') : 'No linked accounts.'));
      }),
    );

  return program;
}

async function withProgress<T>(ctx: CommandContext, run: (onProgress: (p: DownloadProgress) => void) => Promise<T>): Promise<T> {
  // The bar goes to stderr, and only on an interactive terminal: stdout stays parseable.
  if (ctx.json || !ctx.io.stdout.isTTY || !ctx.io.stderr.isTTY) return run(() => {});
  const bar = new cliProgress.SingleBar(
    { format: 'downloading [{bar}] {percentage}% {done}/{size}', hideCursor: true, stream: ctx.io.stderr, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await run(({ received, total }) => {
      const payload = { done: formatBytes(received), size: formatBytes(total) };
      if (!started) {
        bar.start(total, received, payload);
        started = true;
      } else bar.update(received, payload);
    });
  } finally {
    if (started) bar.stop();
  }
}

function identityJson(identity: DeviceIdentity) {
  return {
    clientId: identity.clientId,
    leafId: identity.leafId,
    authority: identity.authority,
    user: identity.user,
    userId: identity.userId,
    userGlobalId: identity.userGlobalId,
    label: identity.label,
  };
}

function describeDownload(result: {
  contentId: string;
  title: string;
  path: string;
  packageSize: number;
  alreadyPresent: boolean;
  resumedFrom: number;
}): string {
  if (result.alreadyPresent) return `"${result.title}" (${result.contentId}) is already on this device.`;
  const resumed = result.resumedFrom > 0 ? `, resumed after ${formatBytes(result.resumedFrom)}` : '';
  return `Downloaded "${result.title}" (${result.contentId}, ${formatBytes(result.packageSize)}${resumed}).`;
}

function describeLicense(license: { licenseId: string; contentId: string; state: string; charged: Money | null }): string {
  const cost = license.charged ? `charged ${formatMoney(license.charged)}` : 'no charge (already held)';
  return `License ${license.licenseId} for ${license.contentId} is ${license.state}; ${cost}.`;
}

function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatMoney(money: Money): string {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency: money.currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(money.amount / 10 ** digits);
  } catch {
    return `${money.amount} ${money.currency} (minor units)`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function formatPairs(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}
