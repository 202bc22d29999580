import type { Response } from 'express';

// A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180): always quoted, quotes doubled; text that would run as a formula is defused. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '""';
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replaceAll('"', '""')}"`;
}

export const csvRow = (fields: (string | number | null | undefined)[]): string => `${fields.map(csvField).join(',')}\r\n`;

/**
 * Streams a CSV download page by page, waiting for the socket to drain, so a huge ledger
 * never sits in memory as one string. `pages` yields the rows of one page at a time.
 */
export async function streamCsv(res: Response, filename: string, header: string[], pages: AsyncIterable<(string | number | null)[][]>): Promise<void> {
  res.status(200);
  res.set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  });
  const write = async (chunk: string) => {
    if (!res.write(chunk))
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          res.off('close', closed);
          resolve();
        };
        const closed = () => {
          res.off('drain', done);
          reject(new Error('client went away during CSV export'));
        };
        res.once('drain', done);
        res.once('close', closed);
      });
  };
  await write(csvRow(header));
  for await (const rows of pages) {
    if (rows.length) await write(rows.map(csvRow).join(''));
  }
  res.end();
}
