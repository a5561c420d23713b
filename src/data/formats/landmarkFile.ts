/**
 * What the one-file landmark formats (CSV, OneMark JSON) share: the read options, the lenient
 * result, and the read–parse / parse–throw / format–write steps around each format's own parser.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { problemsError, unreadableFileError, type DataProblem } from '../errors';
import type { AnnotationSet, LandmarkSet } from '../types';

export interface LandmarkReadOptions {
  /** Check ids against this set and use its names; without it the set is built from the file. */
  landmarkSet?: LandmarkSet;
  /** Name of the set built from the file. */
  setName?: string;
}

export interface LandmarkReadResult {
  set: AnnotationSet;
  /** Rows or images that could not be used; an image with a bad row is left out whole. */
  problems: DataProblem[];
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw unreadableFileError(path, e, 'landmarks');
  }
}

/** Strict readers hand every problem of the lenient read back as one DataError. */
export function setWithoutProblems(path: string, { set, problems }: LandmarkReadResult): AnnotationSet {
  if (problems.length) throw problemsError(path, problems, 'landmarks');
  return set;
}

export interface LandmarkFileFormat {
  /** Lenient: problems are returned, the readable images kept. */
  readFile(path: string, opts?: LandmarkReadOptions): Promise<LandmarkReadResult>;
  /** Strict: throws a DataError listing every problem. */
  read(path: string, opts?: LandmarkReadOptions): Promise<AnnotationSet>;
  write(path: string, set: AnnotationSet): Promise<void>;
}

/** A one-file format's readers and writer, from its parser and formatter. */
export function landmarkFileFormat(
  parse: (text: string, path: string, opts: LandmarkReadOptions) => LandmarkReadResult,
  format: (set: AnnotationSet) => string,
): LandmarkFileFormat {
  const readLenient = async (path: string, opts: LandmarkReadOptions = {}): Promise<LandmarkReadResult> =>
    parse(await readText(path), path, opts);
  return {
    readFile: readLenient,
    read: async (path, opts = {}) => setWithoutProblems(path, await readLenient(path, opts)),
    write: async (path, set) => writeFile(path, format(set), 'utf8'),
  };
}
