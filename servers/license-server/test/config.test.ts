import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, configFromEnv, parseConfig, serverSettings, type ServerConfig } from '../src/config.ts';
import { readConfigTable, renderConfigTable } from '../src/config-table.ts';

const readmePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../README.md');

/** For every setting, a valid value other than its default: as an operator writes it, and as the server reads it. */
const samples: { [K in keyof typeof serverSettings]: [text: string, value: ServerConfig[K]] } = {
  publicUrl: ['https://licenses.example/t', 'https://licenses.example/t'],
  host: ['0.0.0.0', '0.0.0.0'],
  port: ['5001', 5001],
  dataDir: ['/srv/tessera', '/srv/tessera'],
  databaseUrl: ['postgres://tessera@db.example/tessera', 'postgres://tessera@db.example/tessera'],
  masterKey: ['0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  secureCookies: ['true', true],
  clockSkewSeconds: ['120', 120],
  copyCertificateTtlSeconds: ['3600', 3600],
  maxJsonBodyBytes: ['131072', 131072],
  maxUploadBytes: ['1048576', 1048576],
  pgPoolSize: ['5', 5],
  logLevel: ['debug', 'debug'],
  backgroundJobs: ['0', false],
  peerTimeoutMs: ['2500', 2500],
  moveRecoveryIntervalMs: ['250', 250],
  headersTimeoutMs: ['10000', 10000],
  requestTimeoutMs: ['15000', 15000],
  uploadIdleTimeoutMs: ['60000', 60000],
  keepAliveTimeoutMs: ['2000', 2000],
  maxConnections: ['256', 256],
  signInWindowSeconds: ['600', 600],
  signInAddressLimit: ['50', 50],
  signInFreeFailures: ['3', 3],
  signInMaxDelaySeconds: ['60', 60],
  allowPrivatePeers: ['127.0.0.1, 10.0.0.0/8', ['127.0.0.1', '10.0.0.0/8']],
  allowedOrigins: ['https://console.example, http://127.0.0.1:3000', ['https://console.example', 'http://127.0.0.1:3000']],
};

/** The message of the ConfigError `fn` throws; fails when it throws anything else. */
function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

describe('configuration', () => {
  test('every setting can be set from its environment variable', () => {
    const defaults = configFromEnv({});
    for (const [key, [text, value]] of Object.entries(samples)) {
      const { env } = serverSettings[key as keyof typeof serverSettings];
      const config = configFromEnv({ [env]: text });
      assert.deepEqual(config[key as keyof ServerConfig], value, `${env}=${text} sets the server's ${key}`);
      assert.notDeepEqual(defaults[key as keyof ServerConfig], value, `the sample for ${env} differs from its default, so the test proves something`);
    }
  });

  test('PORT is read when TESSERA_PORT is unset, and TESSERA_PORT wins over it', () => {
    assert.equal(configFromEnv({ PORT: '5002' }).port, 5002);
    assert.equal(configFromEnv({ PORT: '5002', TESSERA_PORT: '5003' }).port, 5003);
  });

  test('cookies are Secure under NODE_ENV=production unless TESSERA_SECURE_COOKIES says otherwise', () => {
    assert.equal(configFromEnv({}).secureCookies, false);
    assert.equal(configFromEnv({ NODE_ENV: 'production' }).secureCookies, true);
    assert.equal(configFromEnv({ NODE_ENV: 'production', TESSERA_SECURE_COOKIES: 'false' }).secureCookies, false);
  });

  test('an on/off variable takes 1, 0, true or false and refuses anything else', () => {
    for (const [text, value] of [
      ['1', true],
      ['TRUE', true],
      ['0', false],
      ['false', false],
    ] as const) {
      assert.equal(configFromEnv({ TESSERA_BACKGROUND_JOBS: text }).backgroundJobs, value, `TESSERA_BACKGROUND_JOBS=${text}`);
    }
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_BACKGROUND_JOBS: 'yes' })),
      'TESSERA_BACKGROUND_JOBS: must be 1, 0, true or false',
    );
  });

  test('an empty variable counts as unset', () => {
    assert.equal(configFromEnv({ DATABASE_URL: '', TESSERA_PORT: '' }).databaseUrl, undefined);
    assert.equal(configFromEnv({ TESSERA_PORT: '' }).port, 4001);
  });

  test('without TESSERA_PUBLIC_URL the public URL is made from host and port', () => {
    assert.equal(configFromEnv({ TESSERA_HOST: '10.0.0.5', TESSERA_PORT: '8080' }).publicUrl, 'http://10.0.0.5:8080');
  });

  test('values given in code win over the environment', () => {
    const config = configFromEnv({ TESSERA_HOST: '0.0.0.0', TESSERA_PORT: '5001' }, { host: '127.0.0.2', port: 6001 });
    assert.equal(config.host, '127.0.0.2');
    assert.equal(config.port, 6001);
  });

  test('a bad value stops with one line naming its environment variable and what is wrong', () => {
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_PUBLIC_URL: 'not-a-url' })),
      'TESSERA_PUBLIC_URL: must be an absolute http(s) URL such as https://licenses.example/t/store',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_PORT: 'abc' })),
      'TESSERA_PORT: must be a number',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_PORT: '70000' })),
      'TESSERA_PORT: must be at most 65535',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ PORT: 'abc' })),
      'PORT: must be a number',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_PG_POOL_SIZE: '0' })),
      'TESSERA_PG_POOL_SIZE: must be at least 1',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_CLOCK_SKEW_SECONDS: '1.5' })),
      'TESSERA_CLOCK_SKEW_SECONDS: must be a whole number',
    );
    assert.equal(
      configErrorOf(() => configFromEnv({ TESSERA_LOG_LEVEL: 'loud' })),
      'TESSERA_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  test('several bad variables are reported together, one line each, with no zod issues or internal field names', () => {
    const message = configErrorOf(() => configFromEnv({ TESSERA_PUBLIC_URL: 'not-a-url', TESSERA_PORT: 'abc', TESSERA_PG_POOL_SIZE: '0' }));
    assert.deepEqual(message.split('\n'), [
      'TESSERA_PUBLIC_URL: must be an absolute http(s) URL such as https://licenses.example/t/store',
      'TESSERA_PORT: must be a number',
      'TESSERA_PG_POOL_SIZE: must be at least 1',
    ]);
    assert.doesNotMatch(message, /[[\]{}"]|invalid_type|too_small/, 'no zod issue array');
    for (const key of Object.keys(serverSettings)) assert.doesNotMatch(message, new RegExp(`\\b${key}\\b`), `the field name ${key} is not shown`);
  });

  test('a bad value given in code is reported under its environment variable too', () => {
    assert.equal(
      configErrorOf(() => parseConfig({ publicUrl: 'https://licenses.example', dataDir: '/srv/tessera', pgPoolSize: 500 })),
      'TESSERA_PG_POOL_SIZE: must be at most 200',
    );
  });

  test("the README's configuration table is the one generated from the settings", async () => {
    const readme = await readFile(readmePath, 'utf8');
    assert.equal(readConfigTable(readme), renderConfigTable(), 'README.md differs from the settings: run npm run docs:config');
  });
});
