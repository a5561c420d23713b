/**
 * Lazy loaders for the WebAssembly codecs shipped in npm (Cornerstone's builds of libjpeg-turbo,
 * OpenJPEG and CharLS). Each module is instantiated once per process, on first use, and its C++
 * exceptions (thrown as numbers) are turned into messages by the callers.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

/** The decoder shape shared by the three codec builds. */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

interface CodecModule {
  [ctor: string]: unknown;
}

type Factory = (moduleArg?: Record<string, unknown>) => Promise<CodecModule>;

const cache = new Map<string, Promise<CodecModule>>();

function load(specifier: string): Promise<CodecModule> {
  let p = cache.get(specifier);
  if (!p) {
    const factory = require(specifier) as Factory;
    // OpenJPEG prints [INFO] lines on stdout for every decode; they are noise in a CLI.
    p = factory({ print: () => {}, printErr: () => {} });
    cache.set(specifier, p);
  }
  return p;
}

export type CodecName = 'jpeg' | 'j2k' | 'jpegls';

const SPEC: Record<CodecName, { module: string; ctor: string; label: string }> = {
  jpeg: {
    module: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
    ctor: 'JPEGDecoder',
    label: 'JPEG (libjpeg-turbo)',
  },
  j2k: {
    module: '@cornerstonejs/codec-openjpeg/decodewasmjs',
    ctor: 'J2KDecoder',
    label: 'JPEG 2000 (OpenJPEG)',
  },
  jpegls: {
    module: '@cornerstonejs/codec-charls/decodewasmjs',
    ctor: 'JpegLSDecoder',
    label: 'JPEG-LS (CharLS)',
  },
};

export interface DecodedFrame {
  info: FrameInfo;
  /** Raw decoded bytes (copied out of wasm memory): interleaved samples, little-endian for 16 bit. */
  bytes: Uint8Array;
}

/**
 * Decode one encoded frame. Throws an Error whose message says which codec failed; the caller adds
 * the file path.
 */
export async function decodeWithWasm(codec: CodecName, encoded: Uint8Array): Promise<DecodedFrame>;
/** With `take`, the decoded bytes are read in place (no copy of the full frame); `take` must copy what it keeps. */
export async function decodeWithWasm<T>(
  codec: CodecName,
  encoded: Uint8Array,
  take: (info: FrameInfo, view: Uint8Array) => T,
): Promise<{ info: FrameInfo; value: T }>;
export async function decodeWithWasm<T>(
  codec: CodecName,
  encoded: Uint8Array,
  take?: (info: FrameInfo, view: Uint8Array) => T,
): Promise<DecodedFrame | { info: FrameInfo; value: T }> {
  const spec = SPEC[codec];
  const mod = await load(spec.module);
  const Ctor = mod[spec.ctor] as new () => WasmDecoder;
  const decoder = new Ctor();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (e) {
      // Emscripten rethrows C++ exceptions as pointers; the reason is not recoverable from JS.
      const detail =
        typeof e === 'number' ? 'corrupt or truncated data' : e instanceof Error ? e.message : String(e);
      throw new Error(`${spec.label} decoder failed: ${detail}`);
    }
    const info = { ...decoder.getFrameInfo() };
    if (take) return { info, value: take(info, decoder.getDecodedBuffer()) };
    return { info, bytes: decoder.getDecodedBuffer().slice() };
  } finally {
    decoder.delete();
  }
}
