import { decodeJwsUnverified } from '@tessera/protocol';
import { decodeJweHeader, epochToIso } from '@/lib/jws.ts';
import { formatDateTime } from '@/lib/format.ts';
import { Details, JsonView, Mono, cx, focusRing } from './ui.tsx';

/** A compact JWS decoded for reading (not verified here: the devices and peers verify). */
export function TokenView({ token, label }: { token: string; label: string }) {
  let decoded: ReturnType<typeof decodeJwsUnverified> | null = null;
  try {
    decoded = decodeJwsUnverified(token);
  } catch {
    decoded = null;
  }
  if (!decoded) return <p className="text-sm text-red-700">This {label} is not a readable compact JWS.</p>;
  const { header, payload } = decoded;
  const times = (['iat', 'nbf', 'exp'] as const).filter((k) => typeof payload[k] === 'number');
  const wrappedKey = decodeJweHeader(payload.key);
  return (
    <div className="space-y-4">
      <Details
        items={[
          ['Type', <Mono key="t">{String(header.typ ?? '—')}</Mono>],
          ['Algorithm', <Mono key="a">{String(header.alg ?? '—')}</Mono>],
          ['Signing key (kid)', <Mono key="k">{String(header.kid ?? '—')}</Mono>],
          ['Issuer', <Mono key="i">{String(payload.iss ?? '—')}</Mono>],
          ...times.map((k): [string, string] => [{ iat: 'Issued at', nbf: 'Not before', exp: 'Expires' }[k], formatDateTime(epochToIso(payload[k]))]),
        ]}
      />
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        <div>
          <h3 className="mb-1 text-sm font-medium text-slate-700">Header</h3>
          <JsonView value={header} label={`${label} header`} />
        </div>
        <div>
          <h3 className="mb-1 text-sm font-medium text-slate-700">Claims</h3>
          <JsonView
            value={wrappedKey ? { ...payload, key: `<JWE ${String(wrappedKey.alg)} / ${String(wrappedKey.enc)}>` } : payload}
            label={`${label} claims`}
          />
        </div>
      </div>
      {wrappedKey ? (
        <div>
          <h3 className="mb-1 text-sm font-medium text-slate-700">Wrapped content key (JWE header)</h3>
          <JsonView value={wrappedKey} label="Wrapped content key header" />
        </div>
      ) : null}
      <details className="text-sm">
        <summary className={cx('cursor-pointer rounded-sm font-medium text-slate-700', focusRing)}>Compact serialization</summary>
        <p className="mt-2 rounded-md bg-slate-50 p-3 font-mono text-xs break-all text-slate-700">{token}</p>
      </details>
    </div>
  );
}
