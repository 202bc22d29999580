import type { NextConfig } from 'next';

const config: NextConfig = {
  // @tessera/protocol is a workspace package of TypeScript sources (with `.ts` import specifiers),
  // compiled into the console's build.
  transpilePackages: ['@tessera/protocol'],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    // An admin console is never framed (clickjacking) and leaks no URL (with IDs) to other sites.
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
        ],
      },
    ];
  },
};

export default config;
