export * from './formats';
export * from './read';
export * from './info';
export * from './resize';
export * from './normalize';
export * from './cache';
export {
  decodeDicomGray,
  readDicomHeader,
  parseDicomDataSet,
  type DicomHeader,
  type DicomImage,
} from './dicom/dicom';
export {
  TRANSFER_SYNTAXES,
  describeTransferSyntax,
  supportedTransferSyntaxes,
  type TransferSyntaxInfo,
} from './dicom/transferSyntax';
