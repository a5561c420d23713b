/** Parsing of coordinate fields with messages that say which of "empty", "non-numeric" or "NaN" it was. */

export type NumberResult = { ok: true; value: number } | { ok: false; why: string };

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** A finite number from a text field; `what` names the field in the message. */
export function parseFiniteNumber(text: string | undefined, what: string): NumberResult {
  const t = (text ?? '').trim();
  if (t === '') return { ok: false, why: `${what} is empty` };
  if (NON_FINITE.test(t)) return { ok: false, why: `${what} is not a finite number: '${t}'` };
  // Number('') and Number(' ') are 0 and Number('0x10') is 16: accept only decimal notation.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
    return { ok: false, why: `non-numeric ${what}: '${t}'` };
  const v = Number(t);
  if (!Number.isFinite(v)) return { ok: false, why: `${what} is not a finite number: '${t}'` };
  return { ok: true, value: v };
}

/** A JSON value that must be a finite number. */
export function checkJsonNumber(v: unknown, what: string): NumberResult {
  if (typeof v === 'number')
    return Number.isFinite(v) ? { ok: true, value: v } : { ok: false, why: `${what} is not a finite number` };
  if (typeof v === 'string') return parseFiniteNumber(v, what);
  return { ok: false, why: `non-numeric ${what}: ${JSON.stringify(v)}` };
}

/** Shortest text that reads back as the same number. */
export function formatNumber(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/** Rounded to `digits` decimals, trailing zeros dropped (for derived values such as mm). */
export function formatRounded(v: number, digits: number): string {
  return formatNumber(Number(v.toFixed(digits)));
}
