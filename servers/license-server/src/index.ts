export * from './config.ts';
export * from './server.ts';
export * from './context.ts';
export { createApp } from './http/app.ts';
export { openDatabase, type Database, type Db, type Executor } from './storage/db.ts';
export * as schema from './storage/schema.ts';
export { createAuthority } from './authorities/create-authority.ts';
export { hashPassword } from './admin/passwords.ts';
