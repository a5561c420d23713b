/**
 * The template as a run stores it: its id, original size, landmarks (original pixels, landmark-set
 * order) and its image at the stage-1 grid, so prediction needs nothing but the run directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../../engine';
import { loadSafetensors, saveSafetensors } from '../../engine/io/safetensors';
import type { LandmarkSet, Point } from '../../data/types';
import { writeFileAtomicSync } from '../../runs/atomicFile';

export interface TemplateRecord {
  id: string;
  width: number;
  height: number;
  landmarkSet: LandmarkSet;
  /** Original pixels, in landmarkSet order; null = missing on the template (cannot be predicted). */
  landmarks: (Point | null)[];
}

export const TEMPLATE_IMAGE = 'template.safetensors';

export async function saveTemplate(root: string, rec: TemplateRecord, image: Tensor): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  writeFileAtomicSync(path.join(root, 'template.json'), JSON.stringify(rec, null, 2) + '\n');
  await saveSafetensors(path.join(root, TEMPLATE_IMAGE), { image }, { id: rec.id });
}

export function loadTemplate(root: string): { rec: TemplateRecord; image: Tensor } {
  const file = path.join(root, 'template.json');
  if (!fs.existsSync(file))
    throw new Error(`run ${root}: no template.json (training did not get past its start)`);
  const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as TemplateRecord;
  const { tensors } = loadSafetensors(path.join(root, TEMPLATE_IMAGE));
  const image = tensors.get('image');
  if (!image) throw new Error(`run ${root}: ${TEMPLATE_IMAGE} has no "image" tensor`);
  return { rec, image };
}
