import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const deviceBin = path.join(root, 'client/bin/tessera-device.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

// A command that has not ended by then is stuck: it fails its test instead of stalling the suite.
const DEVICE_TIMEOUT_MS = 180_000;

/** Runs the real `tessera-device` binary in a child process, as a person would. */
export function device(args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_OPTIONS: '' };
    execFile(
      process.execPath,
      [deviceBin, ...args],
      { cwd: options.cwd ?? root, env, maxBuffer: 16 * 1024 * 1024, timeout: DEVICE_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        if (error && (error as { killed?: boolean }).killed)
          stderr += `\ntessera-device ${args.join(' ')} did not end within ${DEVICE_TIMEOUT_MS / 1000} s and was killed`;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, json: () => JSON.parse(stdout) });
      },
    );
  });
}
