// CSV text as rows of fields (RFC 4180): commas separate fields, a field in
// double quotes may hold commas, line breaks and doubled quotes, and lines end
// in LF or CRLF. A distributed Map's OSS_CSV reader turns rows into items.

export class CsvError extends Error {}

export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let atFieldStart = true;
  let line = 1;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endField = (): void => {
    row.push(field);
    field = '';
    atFieldStart = true;
  };
  const endRow = (): void => {
    endField();
    rows.push(row);
    row = [];
    line++;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === ',') endField();
    else if (c === '\n' || (c === '\r' && src[i + 1] === '\n')) {
      if (c === '\r') i++;
      endRow();
    } else {
      if (c === '"') throw new CsvError(`line ${line}: a quote inside an unquoted field`);
      field += c;
      atFieldStart = false;
    }
  }
  if (quoted) throw new CsvError(`line ${line}: a quoted field never ends`);
  // A final line without its line break still counts; an empty last line does not.
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** Rows as objects keyed by `headers`; a row with a different number of fields is an error naming its line. */
export function csvRecords(rows: string[][], headers: string[], firstLine: number): Record<string, string>[] {
  return rows.map((fields, i) => {
    if (fields.length !== headers.length) throw new CsvError(`line ${firstLine + i}: ${fields.length} fields, but there are ${headers.length} columns (${headers.join(', ')})`);
    return Object.fromEntries(headers.map((h, j) => [h, fields[j]]));
  });
}
