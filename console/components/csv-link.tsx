import { buttonClass } from './ui.tsx';

/** A CSV export, streamed from the license server through the console's proxy. */
export function CsvLink({ server, path, query, label }: { server: string; path: string; query: Record<string, string | undefined>; label: string }) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const qs = q.toString();
  return (
    <a href={`/api/${server}${path}${qs ? `?${qs}` : ''}`} download className={buttonClass('secondary')}>
      {label}
    </a>
  );
}
