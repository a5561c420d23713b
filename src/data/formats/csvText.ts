/** Minimal RFC 4180 CSV: quoted fields, doubled quotes, separators and newlines inside quotes. */

export interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  fields: string[];
}

/** `firstLine` numbers the rows when the text is the tail of a file. */
export function parseCsvRows(text: string, firstLine = 1): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = firstLine;
  let rowLine = firstLine;
  let fieldStarted = false;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = (): void => {
    fields.push(field);
    // Skip blank lines entirely.
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (field !== '' || fields.length > 0 || fieldStarted) endRow();
  return rows;
}

export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}
