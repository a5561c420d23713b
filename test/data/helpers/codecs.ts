/** Encoders for test fixtures: the full (encode + decode) wasm builds of the Cornerstone codecs. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Encoder {
  getDecodedBuffer(info: {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setQuality?(quality: number): void;
  setProgressive?(progressive: boolean): void;
  setDecompositions?(n: number): void;
  delete(): void;
}

type Mod = Record<string, new () => Encoder>;
const mods = new Map<string, Promise<Mod>>();
function mod(spec: string): Promise<Mod> {
  let p = mods.get(spec);
  if (!p) {
    p = (require(spec) as (a: object) => Promise<Mod>)({ print: () => {}, printErr: () => {} });
    mods.set(spec, p);
  }
  return p;
}

async function encodeWith(
  spec: string,
  ctor: string,
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  components: number,
  setup?: (e: Encoder) => void,
): Promise<Uint8Array> {
  const m = await mod(spec);
  const e = new m[ctor]!();
  try {
    const bits = pixels instanceof Uint16Array ? 16 : 8;
    const buf = e.getDecodedBuffer({
      width,
      height,
      bitsPerSample: bits,
      componentCount: components,
      isSigned: false,
    });
    buf.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    setup?.(e);
    e.encode();
    return e.getEncodedBuffer().slice();
  } finally {
    // libjpeg-turbo's encoder traps in its destructor (a double free in the build); a test can leak it.
    if (ctor !== 'JPEGEncoder') e.delete();
  }
}

/** Baseline JPEG (libjpeg-turbo), 8-bit, 1 or 3 components. */
export function encodeJpegBaseline(
  pixels: Uint8Array,
  width: number,
  height: number,
  components = 1,
  quality = 95,
): Promise<Uint8Array> {
  // The encoder defaults to progressive; DICOM's .50 syntax needs baseline (SOF0).
  return encodeWith(
    '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs',
    'JPEGEncoder',
    pixels,
    width,
    height,
    components,
    (e) => {
      e.setProgressive?.(false);
      e.setQuality?.(quality);
    },
  );
}

/** Lossless JPEG 2000 (OpenJPEG). */
export function encodeJ2k(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
): Promise<Uint8Array> {
  // Default 5 decompositions need sides >= 32; small fixtures get fewer.
  const levels = Math.max(1, Math.min(5, Math.floor(Math.log2(Math.min(width, height))) - 1));
  return encodeWith('@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder', pixels, width, height, 1, (e) =>
    e.setDecompositions?.(levels),
  );
}

/** Lossless JPEG-LS (CharLS). */
export function encodeJpegLS(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
): Promise<Uint8Array> {
  return encodeWith('@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder', pixels, width, height, 1);
}
