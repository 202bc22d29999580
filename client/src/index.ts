export * from './errors.ts';
export * from './device-store.ts';
export * from './http.ts';
export * from './authority-keys.ts';
export * from './license-verification.ts';
export * from './copy-certificate-verification.ts';
export * from './package-files.ts';
export * from './device.ts';
