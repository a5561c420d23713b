/**
 * Whether a folder sits on a filesystem that a cluster's nodes share. Jobs of one run write to the
 * same run folder from different machines, so a node-local disk (ext4, xfs, tmpfs...) only works
 * when every job lands on the submitting host: say so before submitting rather than after.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Network and parallel filesystems as /proc/mounts names them. */
const SHARED = new Set([
  'nfs',
  'nfs4',
  'lustre',
  'gpfs',
  'beegfs',
  'cephfs',
  'ceph',
  'glusterfs',
  'fuse.glusterfs',
  'fuse.cephfs',
  'fuse.sshfs',
  'cifs',
  'smb3',
  'smbfs',
  'afs',
  'panfs',
  'wekafs',
  'pvfs2',
  'orangefs',
  'fuse.juicefs',
  'virtiofs',
  '9p',
]);

export interface FsCheck {
  /** The mount point holding the folder and its filesystem type. */
  mount: string;
  type: string;
  shared: boolean;
}

/** The mount that holds `dir` (its nearest existing ancestor), from /proc/mounts. */
export function filesystemOf(dir: string, mounts = readMounts()): FsCheck {
  // Symlinks resolved on the part that exists; the folder itself may not exist yet.
  let base = path.resolve(dir);
  let rest = '';
  while (!fs.existsSync(base) && path.dirname(base) !== base) {
    rest = path.join(path.basename(base), rest);
    base = path.dirname(base);
  }
  let p = path.join(fs.existsSync(base) ? fs.realpathSync(base) : base, rest);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  let best = { mount: '/', type: 'unknown' };
  for (const m of mounts) {
    const inside = p === m.mount || p.startsWith(m.mount.endsWith('/') ? m.mount : `${m.mount}/`);
    if (inside && m.mount.length >= best.mount.length) best = m;
  }
  return { ...best, shared: SHARED.has(best.type) };
}

export function readMounts(): { mount: string; type: string }[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  return (
    text
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length >= 3)
      // /proc/mounts escapes spaces as \040.
      .map((f) => ({ mount: f[1]!.replace(/\\040/g, ' '), type: f[2]! }))
  );
}

/** The line to print about it: empty when shared. */
export function sharedFsWarning(dir: string, check = filesystemOf(dir)): string {
  if (check.shared) return '';
  return (
    `${dir}: on ${check.type} (${check.mount}), which does not look shared between nodes; ` +
    'jobs on other nodes will not see the run folder. Put --out on the shared filesystem (e.g. your ' +
    'home or scratch) unless the cluster is this one machine.'
  );
}
