import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvRow } from '../../src/billing/csv.ts';

test('a CSV row quotes every field, doubles quotes, keeps commas and newlines inside the field', () => {
  assert.equal(csvRow(['a,b', 'say "hi"', 'two\nlines', 42, null]), '"a,b","say ""hi""","two\nlines","42",""\r\n');
});

test('a text cell that a spreadsheet would evaluate as a formula is defused', () => {
  assert.equal(csvRow(['=HYPERLINK("x")', '+1', '-2', '@sum', 'fine']), `"'=HYPERLINK(""x"")","'+1","'-2","'@sum","fine"\r\n`);
  assert.equal(csvRow([-5]), '"-5"\r\n', 'numbers are written as they are');
});
