// jpeg-lossless-decoder-js ships no type declarations; this is the part the DICOM reader uses.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer, numBytes?: number);
    decode(
      buffer: ArrayBuffer,
      offset?: number,
      length?: number,
      numBytes?: number,
    ): Uint8Array | Uint16Array;
  }
}
