/**
 * JSON encoding of API values for the HTTP/WebSocket transport. IPC carries typed arrays as they
 * are (structured clone); JSON would turn them into index-keyed objects, so they travel as
 * `{ $typed: 'Uint16Array', base64 }` and come back as the same typed array. No Node imports:
 * the renderer's HTTP client uses this too.
 */

type TypedName = 'Uint8Array' | 'Uint16Array' | 'Float32Array' | 'Int16Array' | 'Int32Array' | 'Float64Array';
// Node's Buffer when present (much faster for megabyte images); the browser path otherwise.
const NodeBuffer = (
  globalThis as { Buffer?: { from(...a: unknown[]): Uint8Array & { toString(enc: string): string } } }
).Buffer;

const CTORS = {
  Uint8Array,
  Uint16Array,
  Float32Array,
  Int16Array,
  Int32Array,
  Float64Array,
} as const satisfies Record<TypedName, unknown>;

interface TypedWire {
  $typed: TypedName;
  base64: string;
}

function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(text, 'base64');
    // Copy into a fresh, aligned buffer: typed views need offsets that are multiples of their size.
    return new Uint8Array(b);
  }
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function typedName(v: unknown): TypedName | null {
  if (!ArrayBuffer.isView(v)) return null;
  const name = v.constructor.name as TypedName;
  return name in CTORS ? name : null;
}

/** Replaces typed arrays by their wire form, recursively; everything else is left to JSON. */
/** Arrays and objects rebuilt with `f` applied to each element or property; anything else as is. */
function mapChildren(value: unknown, f: (v: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => f(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = f(v);
    return out;
  }
  return value;
}

export function toWire(value: unknown): unknown {
  const name = typedName(value);
  if (name) {
    const v = value as ArrayBufferView;
    return { $typed: name, base64: bytesToBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  return mapChildren(value, toWire);
}

function isTypedWire(v: unknown): v is TypedWire {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as TypedWire).$typed === 'string' &&
    typeof (v as TypedWire).base64 === 'string' &&
    (v as TypedWire).$typed in CTORS
  );
}

export function fromWire(value: unknown): unknown {
  if (isTypedWire(value)) {
    const bytes = base64ToBytes(value.base64);
    const Ctor = CTORS[value.$typed];
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
  }
  return mapChildren(value, fromWire);
}

/** What an HTTP API call answers. */
export type WireReply =
  { ok: true; value?: unknown } | { ok: false; error: { name: string; message: string } };

/** Paths of the HTTP transport. */
export const HTTP_API_PREFIX = '/api/';
export const WS_EVENTS_PATH = '/api/events';
