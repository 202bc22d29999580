'use client';
import { Button } from '@/components/ui.tsx';

/** Unexpected failures (the server's problems are shown by each page itself). */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
      <p className="font-medium">This page could not be shown.</p>
      <p className="mt-1">{error.digest ? `Reference ${error.digest}. ` : ''}Try again; if it keeps failing, check the console's log.</p>
      <Button className="mt-3" onClick={reset}>
        Try again
      </Button>
    </div>
  );
}
