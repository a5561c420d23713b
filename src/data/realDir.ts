/**
 * A guard to run before creating an output folder. Node's `mkdir(…, {recursive: true})` under
 * /proc or /sys never returns (it retries forever at 100 % CPU, Node 20), and those kernel file
 * systems cannot hold files anyway; so a folder there, or anywhere that is not writable, is
 * refused up front with a message that names the folder. Used by the app's createProject and
 * meant for the CLI's `--out` too.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError } from './errors';

// statfs f_type of kernel pseudo file systems (linux/magic.h): they show the kernel's state and
// refuse (or silently drop) ordinary files.
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
]);

// Where statfs cannot tell (other systems, or a type this list lacks), these Linux mount points
// still give the answer for the common cases.
const PSEUDO_PREFIXES = ['/proc', '/sys'];

/** The folder itself if it exists, else its nearest existing ancestor (what mkdir would start from). */
async function nearestExisting(dir: string, what: string): Promise<string> {
  let current = dir;
  for (;;) {
    try {
      const st = await fs.stat(current);
      if (!st.isDirectory()) {
        throw new DataError(dir, `${what}: ${current} is a file, not a folder`, { kind: 'dataset' });
      }
      return current;
    } catch (e) {
      if (e instanceof DataError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== current) {
        current = parent;
        continue;
      }
      throw new DataError(dir, `${what}: cannot look at ${current} (${code ?? (e as Error).message})`, {
        kind: 'dataset',
      });
    }
  }
}

function pseudoName(realDir: string, type: number | null): string | null {
  if (type !== null) {
    const name = PSEUDO_FILE_SYSTEMS.get(type >>> 0);
    if (name) return name;
  }
  if (process.platform === 'linux') {
    const hit = PSEUDO_PREFIXES.find((p) => realDir === p || realDir.startsWith(`${p}/`));
    if (hit) return hit.slice(1);
  }
  return null;
}

/**
 * Resolves when `dir` (existing or not) can be created and written as an ordinary folder; throws a
 * DataError naming `dir` otherwise: on a pseudo file system (/proc, /sys, ...), below a file, or
 * not writable. `what` names the folder's role in the message ("project folder", "--out").
 */
export async function assertWritableRealDir(dir: string, what = 'output folder'): Promise<void> {
  const abs = path.resolve(dir);
  const existing = await nearestExisting(abs, what);
  const real = await fs.realpath(existing).catch(() => existing);
  let type: number | null = null;
  try {
    type = Number((await fs.statfs(real)).type);
  } catch {
    // statfs is missing on some systems: the prefix check below still applies.
  }
  const pseudo = pseudoName(real, type);
  if (pseudo) {
    throw new DataError(
      abs,
      `${what}: ${real} is on the kernel's ${pseudo} file system, which cannot hold files; choose a folder on a disk`,
      { kind: 'dataset' },
    );
  }
  try {
    await fs.access(real, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw new DataError(
      abs,
      `${what}: ${real} is not writable (${(e as NodeJS.ErrnoException).code ?? 'access refused'})`,
      { kind: 'dataset' },
    );
  }
}
