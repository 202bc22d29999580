// `@tessera/protocol/node`: the parts of the protocol that need Node's streams and files — the
// package format's streaming encryptor and decryptor, and bundle files. The main entry stays
// free of I/O (node:crypto aside), so a browser build such as the console's can import it.
export * from './package-format.ts';
export * from './bundle.ts';
