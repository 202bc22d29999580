import { chmod, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** Directories only the server's user may enter, and files only it may read or write. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes the data directory private before anything is written to it: the database, packages and
 * perhaps the master key live there. The process umask is narrowed too, because the embedded
 * database creates its files itself with the umask's modes (0666 under the common 000 of
 * containers), and the directory alone does not protect a file once it is moved or backed up.
 */
export async function preparePrivateDirectory(dir: string): Promise<void> {
  // Worker threads cannot change the umask; the server runs on the main thread.
  if (isMainThread) process.umask(0o077);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await chmod(dir, PRIVATE_DIRECTORY_MODE);
}

/**
 * Narrows every entry below `dir` to the private modes. The embedded database unpacks its initial
 * files with explicit 0666 modes, which no umask narrows; the files PostgreSQL creates afterwards
 * get its own 0600. Symbolic links are left alone.
 */
export async function restrictTree(dir: string): Promise<void> {
  await chmod(dir, PRIVATE_DIRECTORY_MODE);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await restrictTree(full);
    else if (entry.isFile()) await chmod(full, PRIVATE_FILE_MODE);
  }
}
