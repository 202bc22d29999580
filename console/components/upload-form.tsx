'use client';
import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import type { AdminContent } from '@tessera/protocol';
import { toProblem, type Problem } from '@/lib/problem.ts';
import { formatBytes } from '@/lib/format.ts';
import { useConsole } from './console-context.tsx';
import { TextField } from './form-fields.tsx';
import { Button, Field, ProblemAlert, TextLink, inputClass } from './ui.tsx';

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/**
 * Uploads a file as a new content. The file streams through the console's proxy to the license
 * server, which encrypts it as it arrives; XMLHttpRequest is used because fetch reports no
 * upload progress.
 */
export function UploadForm() {
  const { serverKey, authority } = useConsole();
  const router = useRouter();
  const form = useRef<HTMLFormElement>(null);
  const xhr = useRef<XMLHttpRequest | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [uploaded, setUploaded] = useState<AdminContent | null>(null);
  const [title, setTitle] = useState('');

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const file = f.get('file');
    if (!(file instanceof File) || (file.size === 0 && file.name === '')) {
      setProblem({ status: 400, code: 'invalid_request', title: 'Choose a file to upload' });
      return;
    }
    const query = new URLSearchParams({ title: String(f.get('title') ?? '').trim() || file.name });
    const id = String(f.get('id') ?? '').trim();
    const description = String(f.get('description') ?? '').trim();
    if (id) query.set('id', id);
    if (description) query.set('description', description);
    query.set('mediaType', MEDIA_TYPE.test(file.type) ? file.type : 'application/octet-stream');

    setProblem(null);
    setUploaded(null);
    setProgress({ sent: 0, total: file.size });
    const request = new XMLHttpRequest();
    xhr.current = request;
    request.open('POST', `/api/${serverKey}/admin/authorities/${authority}/contents?${query}`);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.setRequestHeader('x-tessera-console', '1');
    request.responseType = 'json';
    request.upload.onprogress = (ev) => setProgress({ sent: ev.loaded, total: ev.lengthComputable ? ev.total : file.size });
    request.onload = () => {
      xhr.current = null;
      setProgress(null);
      if (request.status === 201) {
        setUploaded(request.response as AdminContent);
        form.current?.reset();
        setTitle('');
        router.refresh();
      } else if (request.status === 401) {
        router.push(`/${serverKey}/login?expired=1`);
      } else {
        setProblem(toProblem(request.status, request.response));
      }
    };
    request.onerror = () => {
      xhr.current = null;
      setProgress(null);
      setProblem({ status: 0, code: 'unavailable', title: 'The upload was interrupted', detail: 'The connection to the console was lost. Try again.' });
    };
    request.onabort = () => {
      xhr.current = null;
      setProgress(null);
      setProblem({ status: 0, code: 'aborted', title: 'Upload cancelled' });
    };
    request.send(file);
  };

  const percent = progress && progress.total > 0 ? Math.floor((progress.sent / progress.total) * 100) : 0;
  return (
    <form ref={form} onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label="Upload a content">
      <Field label="File" htmlFor="upload-file" className="sm:col-span-2">
        <input
          id="upload-file"
          name="file"
          type="file"
          required
          disabled={!!progress}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file && !title) setTitle(file.name.replace(/\.[^.]+$/, ''));
          }}
          className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-900 hover:file:bg-slate-200"
        />
      </Field>
      <TextField
        label="Title"
        id="upload-title"
        name="title"
        required
        maxLength={200}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        disabled={!!progress}
      />
      <TextField
        label="Content ID"
        id="upload-id"
        hint="Optional, e.g. cnt_my-film; a fresh ID otherwise."
        name="id"
        pattern="cnt_[A-Za-z0-9_\-]{3,60}"
        disabled={!!progress}
      />
      <Field label="Description" htmlFor="upload-description" className="sm:col-span-2">
        <textarea id="upload-description" name="description" rows={2} maxLength={2000} disabled={!!progress} className={inputClass} />
      </Field>
      <div className="space-y-3 sm:col-span-2">
        {progress ? (
          <div>
            <div className="flex justify-between text-sm text-slate-700">
              <span id="upload-progress-label">Uploading and encrypting…</span>
              <span className="tabular-nums">
                {formatBytes(progress.sent)} of {formatBytes(progress.total)} ({percent}%)
              </span>
            </div>
            <div
              role="progressbar"
              aria-labelledby="upload-progress-label"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              className="mt-1 h-2.5 overflow-hidden rounded-full bg-slate-200"
            >
              <div className="h-full rounded-full bg-indigo-600 transition-[width]" style={{ width: `${percent}%` }} />
            </div>
          </div>
        ) : null}
        {problem ? <ProblemAlert problem={problem} /> : null}
        <div role="status">
          {uploaded ? (
            <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
              Uploaded <TextLink href={`/${serverKey}/${authority}/contents/${uploaded.id}`}>{uploaded.title}</TextLink> ({formatBytes(uploaded.size)}).
            </p>
          ) : null}
        </div>
        <div className="flex gap-2">
          <Button type="submit" variant="primary" disabled={!!progress}>
            Upload
          </Button>
          {progress ? <Button onClick={() => xhr.current?.abort()}>Cancel upload</Button> : null}
        </div>
      </div>
    </form>
  );
}
