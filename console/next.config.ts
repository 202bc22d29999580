import type { NextConfig } from 'next';

const config: NextConfig = {
  // @tessera/protocol is a workspace package of TypeScript sources (with `.ts` import specifiers).
  transpilePackages: ['@tessera/protocol'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
