import { describe, expect, it } from 'vitest';
import { FILES_V12, type Mode } from '../../src/csv/columns.js';
import { CopyBytes, lineWriter } from '../../src/csv/row-bytes.js';
import { rowWriter, split } from '../../src/csv/row-text.js';
import { checkHeader } from '../../src/csv/validate.js';
import { IssueList } from '../../src/csv/report.js';
import { Declined } from '../../src/csv/stage-copy.js';
import { HEADERS } from './fixtures.js';

/**
 * The optimistic path converts a line from its bytes (row-bytes.ts); it must accept exactly the
 * lines the text form (row-text.ts, the csv-parse path's rules) accepts and write exactly its
 * COPY text. Every line below goes through both; "declined" stands for a line either one refuses.
 */
const NOW = '2026-11-27T11:00:00.000000Z';

function both(key: string, mode: Mode, header: string, line: string, short = false) {
  const spec = FILES_V12.find((s) => s.key === key)!;
  const layout = checkHeader(`${key}.csv`, split(header), spec, new IssueList())!;
  expect(layout).toBeDefined();
  let text: string;
  try {
    if (line.includes('\r')) throw new Declined(); // copy-direct.ts refuses a carriage return before splitting
    const fields = split(line);
    // rowWriter's caller checks that the two columns a short row leaves out are blank.
    text = short && (fields[1] !== '' || fields[2] !== '') ? 'every column' : rowWriter(spec, mode, layout, NOW, short)(fields);
  } catch (err) {
    if (!(err instanceof Declined)) throw err;
    text = 'declined';
  }
  const out = new CopyBytes(16);
  const src = Buffer.from(`junk\n${line}\nmore`);
  let bytes: string;
  try {
    const written = lineWriter(spec, mode, layout, NOW, short)(src, 5, 5 + Buffer.byteLength(line), out);
    bytes = written ? out.take().toString('utf8') : 'every column';
    if (!written) expect(out.pos).toBe(0);
  } catch (err) {
    if (!(err instanceof Declined)) throw err;
    bytes = 'declined';
  }
  return { text, bytes };
}

const cases: [string, Mode, string[]][] = [
  ['results', 'bulk', [
    'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,false,',
    'res1,active,2024-09-20T10:00:00.000Z,li1,u1,fully graded,1e20,2024-09-20,Good work,A,k1,true,false,true,false',
    'res1,,,li1,u1,fully graded,-0,2024-09-20,"a ""quoted"", comma",,k1,,,,',
    'res1,,,li1,u1,fully graded,.5,2024-09-20,tab\there,back\\slash,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2024-09-20,Ünïcödé ✓ 😀,,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2024-09-20,"",,k1,,,,',
    'res1,,,li1,u1,ext:custom,52,2024-09-20,,,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2023-02-29,,,k1,,,,', // no such day
    'res1,,,li1,u1,fully graded,abc,2024-09-20,,,k1,,,,',
    'res1,,,li1,u1,fully graded,1e400,2024-09-20,,,k1,,,,',
    'res1,,,li1,u1,graded,52,2024-09-20,,,k1,,,,', // not in the vocabulary
    'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,TRUE,',
    'res 1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,', // a space in a sourcedId
    'rés1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,',
    `${'r'.repeat(255)},,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,`,
    `${'r'.repeat(256)},,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,`,
    ',,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,', // required sourcedId missing
    'res1,,,li1,,fully graded,52,2024-09-20,,,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,,', // one cell too many
    'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,', // one cell too few
    'res1,,,li1,u1,fully graded,52,2024-09-20,co"mment,,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2024-09-20,"unterminated,,k1,,,,',
    'res1,,,li1,u1,fully graded,52,2024-09-20,a\rb,,k1,,,,',
    'res1,tobedeleted,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,',
    'res1,inactive,2024-09-20T25:00:00.000Z,li1,u1,fully graded,52,2024-09-20,,,k1,,,,',
    'res1,inactive,2024-09-20T23:00:00.000Z,li1,u1,fully graded,52,2024-09-20,,,k1,,,,',
  ]],
  ['results', 'delta', [
    'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,,', // delta needs status and dateLastModified
    'res1,active,2024-09-20T10:00:00Z,li1,u1,fully graded,52,2024-09-20,,,k1,,,,',
  ]],
  ['enrollments', 'bulk', [
    'e1,,,k1,s1,u1,student,,2024-08-15,',
    'e1,,,k1,s1,u1,teacher,true,2024-08-15,2025-06-01',
    'e1,,,k1,s1,u1,ext:aide,false,,',
    'e1,,,k1,s1,u1,Student,,,',
    'e1,,,k1,s1,u1,student,yes,,',
    'e1,,,k1,s1,u1@x.org/1,student,,,',
  ]],
  ['lineItems', 'bulk', [
    'li1,,,Quiz 1,,2024-09-01,2024-09-15T23:59:59.000Z,k1,cat1,t1,0,100,s1',
    'li1,,,Quiz 1,,2024-09-01,2024-09-15T23:59:59.000Z,k1,cat1,,0,100,s1', // academicSessionSourcedId is required
    'li1,,,"Quiz, ""one""",Line one,2024-09-01,2024-09-15,k1,cat1,t1,,,s1',
    'li1,,,Quiz,,2024-13-01,2024-09-15,k1,cat1,,,,s1',
  ]],
];

describe('the byte form of a row accepts and writes exactly what the text form does', () => {
  for (const [key, mode, lines] of cases) {
    for (const line of lines) {
      it(`${key} (${mode}): ${line.slice(0, 70)}`, () => {
        const { text, bytes } = both(key, mode, HEADERS[key], line);
        expect(bytes).toBe(text);
      });
    }
  }

  it('short rows (bulk, status and dateLastModified left to the table defaults): the same row either way', () => {
    const lines = cases[0][2];
    const short = lines.map((line) => both('results', 'bulk', HEADERS.results, line, true));
    for (const [i, { text, bytes }] of short.entries()) expect(bytes, lines[i]).toBe(text);
    // A blank pair is left out; anything else asks for every column; the rest of the row is the same.
    expect(short[0].bytes).toBe(`res1\tli1\tu1\tfully graded\t52\t2024-09-20\t\\N\t\\N\tk1\t\\N\t\\N\tf\t\\N\t\\N\n`);
    expect(short[1].bytes).toBe('every column');
    expect(short.filter((r) => r.bytes === 'every column').length).toBeGreaterThan(2);
    // With metadata columns the text form writes the row.
    expect(both('enrollments', 'bulk', `${HEADERS.enrollments},metadata.color`, 'e1,,,k1,s1,u1,student,,,,blue', true).bytes)
      .toBe('e1\tk1\ts1\tu1\tstudent\t\\N\t\\N\t\\N\t{"color":"blue"}\n');
    expect(both('enrollments', 'bulk', `${HEADERS.enrollments},metadata.color`, 'e1,"",,k1,s1,u1,student,,,,blue', true).bytes).toBe('every column');
  });

  it('metadata columns: the same row either way', () => {
    const { text, bytes } = both('enrollments', 'bulk', `${HEADERS.enrollments},metadata.color,metadata.size`, 'e1,,,k1,s1,u1,student,,,,blue,');
    expect(text).toContain('{"color":"blue"}');
    expect(bytes).toBe(text);
  });

  it('grows its buffer for a row longer than it', () => {
    const comment = 'x'.repeat(10_000);
    const { text, bytes } = both('results', 'bulk', HEADERS.results, `res1,,,li1,u1,fully graded,52,2024-09-20,${comment},,k1,,,,`);
    expect(bytes).toContain(comment);
    expect(bytes).toBe(text);
  });

  it('accepts the common lines at all (the comparison is not between two refusals)', () => {
    const { bytes } = both('results', 'bulk', HEADERS.results, 'res1,,,li1,u1,fully graded,52,2024-09-20,,,k1,,,false,');
    expect(bytes).toBe(`res1\tactive\t${NOW}\tli1\tu1\tfully graded\t52\t2024-09-20\t\\N\t\\N\tk1\t\\N\t\\N\tf\t\\N\t\\N\n`);
  });

  it('one writer over many lines (its remembered cells) writes what the text form writes, line by line', () => {
    // Repeated, alternating and invalid values in the remembered columns (scoreStatus, score, scoreDate,
    // the booleans), so that both the last-value and the seen-values shortcuts are taken and a bad
    // cell after a good one of the same length is still refused.
    const statuses = ['fully graded', 'submitted', 'not submitted', 'graded', 'fully graded'];
    const scores = ['52', '58', '52', '5x', '100', '-0', '58', '1e400', '52'];
    const dates = ['2024-09-20', '2024-09-21', '2024-09-20', '2023-02-29', '2024-09-20'];
    const flags = ['false', 'true', '', 'TRUE', 'false'];
    const spec = FILES_V12.find((s) => s.key === 'results')!;
    const layout = checkHeader('results.csv', split(HEADERS.results), spec, new IssueList())!;
    const text = rowWriter(spec, 'bulk', layout, NOW);
    const write = lineWriter(spec, 'bulk', layout, NOW);
    let declined = 0;
    for (let i = 0; i < 200; i++) {
      const line = `res${i},,,li1,u${i % 7},${statuses[i % statuses.length]},${scores[i % scores.length]},${dates[i % dates.length]},,,k1,,,${flags[i % flags.length]},`;
      const expected = (() => { try { return text(split(line)); } catch (err) { if (err instanceof Declined) return 'declined'; throw err; } })();
      const out = new CopyBytes(64);
      const src = Buffer.from(line);
      const actual = (() => { try { write(src, 0, src.length, out); return out.take().toString('utf8'); } catch (err) { if (err instanceof Declined) return 'declined'; throw err; } })();
      expect(actual, line).toBe(expected);
      if (expected === 'declined') declined++;
    }
    expect(declined).toBeGreaterThan(20);
    expect(declined).toBeLessThan(200);
  });
});
