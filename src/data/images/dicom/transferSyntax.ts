/** DICOM transfer syntaxes: which ones the reader decodes, and their names for messages. */

export type PixelEncoding = 'native' | 'jpeg8' | 'jpegLossless' | 'jpeg2000' | 'jpegLS' | 'rle';

export interface TransferSyntaxInfo {
  name: string;
  /** How the pixel data is encoded; null when the reader cannot decode it. */
  encoding: PixelEncoding | null;
  bigEndian?: boolean;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

export const TRANSFER_SYNTAXES: Readonly<Record<string, TransferSyntaxInfo>> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', encoding: 'native' },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', encoding: 'native', bigEndian: true },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', encoding: 'jpeg8' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', encoding: 'jpeg8' },
  '1.2.840.10008.1.2.4.57': {
    name: 'JPEG Lossless, Non-Hierarchical (Process 14)',
    encoding: 'jpegLossless',
  },
  '1.2.840.10008.1.2.4.70': {
    name: 'JPEG Lossless, First-Order Prediction (Process 14, SV1)',
    encoding: 'jpegLossless',
  },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', encoding: 'jpegLS' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', encoding: 'jpegLS' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', encoding: 'jpeg2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', encoding: 'jpeg2000' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', encoding: 'rle' },
  // Known but not decodable here: named so the error says what the file is.
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile', encoding: null },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 High Profile', encoding: null },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264', encoding: null },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible', encoding: null },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 (Lossless Only)', encoding: null },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 with RPCL (Lossless Only)', encoding: null },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000', encoding: null },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component (Lossless Only)', encoding: null },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component', encoding: null },
};

export function describeTransferSyntax(uid: string): string {
  const info = TRANSFER_SYNTAXES[uid];
  return info ? `${info.name} (${uid})` : `unknown transfer syntax ${uid}`;
}

/** The syntaxes the reader decodes, for docs and `dataset inspect`. */
export function supportedTransferSyntaxes(): string[] {
  return Object.entries(TRANSFER_SYNTAXES)
    .filter(([, v]) => v.encoding !== null)
    .map(([uid]) => uid);
}
