import type { Logger } from 'pino';
import type { BlobStore } from './contents/blob-store.ts';
import type { ServerConfig } from './config.ts';
import type { AuthorityDirectory } from './authorities/authority-directory.ts';
import type { AuthorityKeyring } from './keys/authority-keyring.ts';
import type { SecretBox } from './keys/secret-box.ts';
import type { Db } from './storage/db.ts';

/** Everything a request handler may use, built once by the server and passed to the app factory. */
export interface AppContext {
  config: ServerConfig;
  db: Db;
  engine: 'pglite' | 'postgres';
  secrets: SecretBox;
  logger: Logger;
  blobs: BlobStore;
  keyring: AuthorityKeyring;
  authorities: AuthorityDirectory;
}
