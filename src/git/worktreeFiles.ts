/**
 * What git keeps on disk for its worktrees, read without a git process
 * where hundreds of worktrees make one process each too slow: each
 * worktree's git directory (its `.git` folder, or where its `.git` file
 * points), the admin folders under `<common dir>/worktrees/`, the
 * rebases in progress there, and the lock files git takes while it writes
 * (a worktree's `index.lock` and `HEAD.lock`, `packed-refs.lock`, a `.lock`
 * beside a ref), which a git process that dies leaves behind; and a branch's
 * commit as its ref files name it, a guess for work that may start before
 * git has answered. The files are data: only their existence, the paths and
 * object names they hold are looked at, never run.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { WorktreeEntry } from './worktreeList';

/** The git directory of the worktree at `folder`: its `.git` folder, or where its `.git` file points. */
export function worktreeGitDir(folder: string): string | undefined {
  const dotGit = path.join(folder, '.git');
  try {
    const stat = fs.lstatSync(dotGit);
    if (stat.isDirectory()) return dotGit;
    if (!stat.isFile() || stat.size > 4096) return undefined;
    const match = /^gitdir: (.*)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    return match ? path.resolve(folder, match[1].trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** The git directory of a listed worktree: the common one for the main worktree, none for a bare repository. */
export function entryGitDir(commonDir: string, worktree: WorktreeEntry): string | undefined {
  if (worktree.bare) return undefined;
  if (worktree.isMain) return commonDir;
  return worktreeGitDir(worktree.path);
}

/**
 * The admin folder (`<common dir>/worktrees/<name>`) that the `.git` file of
 * the linked worktree at `folder` names; undefined when it names none there.
 */
export function worktreeAdminDir(commonDir: string, folder: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(folder, '.git'), 'utf8');
  } catch {
    return undefined;
  }
  const named = /^gitdir: (.*)$/m.exec(text)?.[1]?.trim();
  const admin = named && path.resolve(folder, named);
  return admin && path.dirname(admin) === path.join(commonDir, 'worktrees') ? admin : undefined;
}

/** The `.git` file an admin folder says its worktree has (its `gitdir` file); undefined when unreadable or empty. */
export function adminDotGit(admin: string): string | undefined {
  try {
    return fs.readFileSync(path.join(admin, 'gitdir'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Removes an admin folder, as `git worktree prune` would for a worktree whose folder is gone. */
export function removeAdminDir(admin: string): void {
  fs.rmSync(admin, { recursive: true, force: true });
}

/** A rebase in progress in some worktree: the branch it rebases and the worktree's folder (undefined when unknown). */
export interface RebaseInProgress {
  /** The full ref being rebased (`rebase-merge/head-name`). */
  ref: string;
  folder?: string;
}

/**
 * Every rebase in progress in the repository, read where git keeps every
 * worktree's git directory (the common one for the main worktree,
 * `worktrees/<name>` for each other): a few file checks per worktree.
 * `mainFolder` is the main worktree's folder (undefined for a bare repository).
 */
export function rebasesInProgress(commonDir: string, mainFolder: string | undefined): RebaseInProgress[] {
  const linked = listFolder(path.join(commonDir, 'worktrees')).map((name) => path.join(commonDir, 'worktrees', name));
  const found: RebaseInProgress[] = [];
  for (const gitDir of [commonDir, ...linked]) {
    for (const dir of ['rebase-merge', 'rebase-apply']) {
      const headName = path.join(gitDir, dir, 'head-name');
      const ref = fs.existsSync(headName) ? readText(headName) : undefined;
      if (ref === undefined) continue;
      found.push({ ref, folder: gitDir === commonDir ? mainFolder : linkedWorktreeFolder(gitDir) });
    }
  }
  return found;
}

/** The folder of a linked worktree, from its git directory's `gitdir` file (which holds the path of its `.git`). */
function linkedWorktreeFolder(gitDir: string): string | undefined {
  const dotGit = readText(path.join(gitDir, 'gitdir'));
  return dotGit ? path.dirname(path.resolve(gitDir, dotGit)) : undefined;
}

/** The names in a folder; none when it does not exist. */
function listFolder(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Where git's lock files are: in each of `gitDirs` (the git directories of
 * worktrees: index and HEAD, which may not exist), and in the common git
 * directory `commonDir` (packed refs, which may not exist, and every ref's
 * lock there is). Each at most once.
 */
export function gitLockFiles(commonDir: string, gitDirs: string[]): string[] {
  const candidates: string[] = [];
  for (const gitDir of gitDirs) candidates.push(path.join(gitDir, 'index.lock'), path.join(gitDir, 'HEAD.lock'));
  candidates.push(path.join(commonDir, 'packed-refs.lock'));
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.lock')) candidates.push(full);
    }
  };
  walk(path.join(commonDir, 'refs'));
  return [...new Set(candidates)];
}

/**
 * What a worktree's state read depends on besides its files, read without a
 * git process: its git directory's `index` (inode, size, modification and
 * change times, to the nanosecond; `git add`, a commit, a checkout, a reset,
 * a stash rewrite it) and whether its folder is there. Two equal stamps with
 * no file-system event in the worktree between them mean `git status` would
 * say the same. `gitDir` is the worktree's git directory (`entryGitDir`);
 * undefined when it cannot be found, and then so is the stamp.
 */
export function indexStamp(gitDir: string | undefined): string | undefined {
  if (!gitDir) return undefined;
  // No index yet (nothing was ever added): `-`, which changes when one is written.
  return fileStamp(path.join(gitDir, 'index'));
}

/**
 * What `git worktree list` reads, stamped without a git process: the main
 * worktree's HEAD, `packed-refs`, each admin folder under `worktrees/` with
 * its `HEAD`, `gitdir`, `commondir` and `locked` files, and, for each worktree of the
 * list `entries` (the last one git gave), its `.git` (gone: prunable) and its
 * branch's loose ref. Git replaces each of these files when it changes them
 * (a new inode), so an equal stamp means git would list the same. Undefined
 * when it cannot be told (refs in a reftable): then the list is always run.
 */
export function worktreeListStamp(commonDir: string, entries: readonly WorktreeEntry[]): string | undefined {
  if (fs.existsSync(path.join(commonDir, 'reftable'))) return undefined;
  const parts = [fileStamp(path.join(commonDir, 'HEAD')), fileStamp(path.join(commonDir, 'packed-refs'))];
  const admin = path.join(commonDir, 'worktrees');
  for (const name of listFolder(admin).sort()) {
    parts.push(
      name,
      ...['HEAD', 'gitdir', 'commondir', 'locked'].map((file) => fileStamp(path.join(admin, name, file))),
    );
  }
  for (const entry of entries) {
    parts.push(entry.path, fileStamp(path.join(entry.path, '.git')));
    if (entry.branch?.startsWith('refs/heads/') && !entry.branch.split('/').includes('..')) {
      parts.push(fileStamp(path.join(commonDir, ...entry.branch.split('/'))));
    }
  }
  return parts.join('\n');
}

/** A file's inode, size, modification and change times (to the nanosecond); `-` when it does not exist. */
function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return '-';
  }
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const OID_AND_REF = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/;
/** A packed-refs file larger than this is not read (the guess or the paint is then left out). */
const MAX_PACKED_REFS_BYTES = 16 * 1024 * 1024;

/** Whether a `refs/heads/...` name can be looked up as a file: no empty, `.` or `..` part, no backslash or NUL. */
function isPlainBranchRef(ref: string): boolean {
  const parts = ref.split('/');
  return (
    parts[0] === 'refs' &&
    parts[1] === 'heads' &&
    parts.length >= 3 &&
    !parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))
  );
}

/** The refs of `packed-refs` by name (empty when it is missing, not a plain file or too large). */
function readPackedRefs(commonDir: string): Map<string, string> {
  const packed = new Map<string, string>();
  const text = readSmallFile(path.join(commonDir, 'packed-refs'), MAX_PACKED_REFS_BYTES);
  for (const line of text?.split('\n') ?? []) {
    const match = OID_AND_REF.exec(line.trimEnd());
    if (match) packed.set(match[2], match[1]);
  }
  return packed;
}

/**
 * The commit a full branch ref (`refs/heads/...`) names according to git's
 * files, without a git process: its loose ref, else its line in
 * `packed-refs`. Only a guess, for work that may start before git has
 * answered (the merge pre-check): the caller uses what it started only when
 * git's own answer names the same commit. Refs kept in a reftable, a symbolic
 * ref, a name with an empty, `.` or `..` part, or anything unexpected give undefined.
 */
export function branchCommitOnDisk(commonDir: string, ref: string): string | undefined {
  if (!isPlainBranchRef(ref)) return undefined;
  if (fs.existsSync(path.join(commonDir, 'reftable'))) return undefined;
  const loose = readSmall(path.join(commonDir, ...ref.split('/')));
  if (loose !== undefined) return OID.test(loose) ? loose : undefined;
  return readPackedRefs(commonDir).get(ref);
}

/**
 * The worktrees as `git worktree list` gives them, from the files it reads
 * (no git process): the main worktree (`main`, and the branch the common
 * `HEAD` names), then one per admin folder under `<common dir>/worktrees/`, in
 * git's order (by name), its folder from its `gitdir` file and its branch or
 * commit from its `HEAD`, each branch's commit from its loose ref or
 * `packed-refs`. Undefined when anything there is not as a finished
 * `git worktree add` leaves it (an entry that is not a plain folder, a file
 * missing, empty or not plain, a `gitdir` not naming a `.git`, the `0000…` HEAD written before the branch, a
 * `commondir` naming another repository, refs in a reftable, a ref that
 * cannot be told, a branch checked out twice): then git itself lists them, and says what is wrong.
 */
export function worktreesFromFiles(
  commonDir: string,
  main: { path: string; bare: boolean },
): WorktreeEntry[] | undefined {
  const admin = path.join(commonDir, 'worktrees');
  let names: string[] = [];
  try {
    const entries = fs.readdirSync(admin, { withFileTypes: true });
    if (entries.some((e) => !e.isDirectory())) return undefined;
    names = entries.map((e) => e.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  const linked: Array<{ gitDir: string; folder: string; locked?: string }> = [];
  for (const name of names) {
    const gitDir = path.join(admin, name);
    const dotGit = readSmall(path.join(gitDir, 'gitdir'));
    const common = readSmall(path.join(gitDir, 'commondir'));
    if (!dotGit?.endsWith('/.git') || !common || path.resolve(gitDir, common) !== path.resolve(commonDir)) {
      return undefined;
    }
    const lockedFile = path.join(gitDir, 'locked');
    const locked = readSmall(lockedFile);
    if (locked === undefined && exists(lockedFile)) return undefined;
    linked.push({ gitDir, folder: path.dirname(path.resolve(gitDir, dotGit)), locked });
  }
  const gitDirs = [...(main.bare ? [] : [commonDir]), ...linked.map((l) => l.gitDir)];
  const heads = headsFromFiles(commonDir, gitDirs);
  if (gitDirs.some((d) => !heads.has(d) || /^0+$/.test(heads.get(d)?.head ?? ''))) return undefined;
  // A branch checked out twice (`worktree add --force`): which one comes first is git's (directory) order, not told here.
  const branches = gitDirs.flatMap((d) => heads.get(d)?.branch ?? []);
  if (new Set(branches).size !== branches.length) return undefined;
  const entry = (folder: string, gitDir: string, isMain: boolean): WorktreeEntry => {
    const { head, branch } = heads.get(gitDir) ?? {};
    const found: WorktreeEntry = { path: folder, bare: false, detached: branch === undefined, isMain };
    if (head !== undefined) found.head = head;
    if (branch !== undefined) found.branch = branch;
    return found;
  };
  const first: WorktreeEntry = main.bare
    ? { path: main.path, bare: true, detached: false, isMain: true }
    : entry(main.path, commonDir, true);
  return [
    first,
    ...linked.map((l) => {
      const found = entry(l.folder, l.gitDir, false);
      if (l.locked !== undefined) found.locked = l.locked;
      if (!exists(path.join(l.folder, '.git'))) found.prunable = 'gitdir file points to non-existent location';
      return found;
    }),
  ];
}

/**
 * The top folder of the worktree `folder` is in, and the repository's common
 * git directory, from git's files alone (no git process): the nearest `.git`
 * at or above `folder` — a folder (a main worktree; its common directory is
 * itself) or a file naming the worktree's git directory, whose `commondir`
 * file names the common one. Undefined when none is found or a file does not
 * say. For painting what an earlier session kept before git answers: git's
 * own discovery (environment, ownership checks, bare repositories) decides
 * what is open.
 */
export function repositoryFromFiles(folder: string): { top: string; commonDir: string } | undefined {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git');
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(dotGit);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return { top: dir, commonDir: dotGit };
    if (stat) {
      const gitDir = worktreeGitDir(dir);
      const common = gitDir && readSmall(path.join(gitDir, 'commondir'));
      return gitDir && common ? { top: dir, commonDir: path.resolve(gitDir, common) } : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The commit and branch each of `gitDirs` has checked out, from its `HEAD`
 * file and the branch's loose ref or `packed-refs` line (no git process);
 * a git directory whose HEAD cannot be told so (a symbolic ref to a ref that
 * is neither, refs in a reftable, a file that does not parse) is left out.
 * The files are data: a ref name is only looked up, never followed outside
 * `refs/`.
 */
export function headsFromFiles(commonDir: string, gitDirs: string[]): Map<string, { head?: string; branch?: string }> {
  const heads = new Map<string, { head?: string; branch?: string }>();
  if (fs.existsSync(path.join(commonDir, 'reftable'))) return heads;
  let packed: Map<string, string> | undefined;
  for (const gitDir of gitDirs) {
    const text = readSmall(path.join(gitDir, 'HEAD'));
    if (text === undefined) continue;
    if (OID.test(text)) {
      heads.set(gitDir, { head: text });
      continue;
    }
    const ref = /^ref: (refs\/heads\/\S+)$/.exec(text)?.[1];
    if (!ref || !isPlainBranchRef(ref)) continue;
    const refFile = path.join(commonDir, ...ref.split('/'));
    const loose = readSmall(refFile);
    // A loose ref that is there but cannot be read as one (a link, a folder): not told.
    if (loose === undefined ? exists(refFile) : !OID.test(loose)) continue;
    // A branch with no commit yet: no head, as git lists it.
    heads.set(gitDir, { head: loose ?? (packed ??= readPackedRefs(commonDir)).get(ref), branch: ref });
  }
  return heads;
}

/** A small regular file's text, trimmed (not a link, a FIFO or a folder; at most 4 KB); undefined otherwise. */
function readSmall(file: string): string | undefined {
  return readSmallFile(file, 4096)?.trim();
}

/**
 * A file's text, or undefined when it is missing, a link, not a plain file, or
 * larger than `limit` bytes. Opened without following a link and without
 * blocking (a FIFO put in its place would otherwise wait for a writer forever),
 * then checked on what was opened: the file is data, whatever replaced it meanwhile.
 */
export function readSmallFile(file: string, limit: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > limit) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether anything is at `file` (a link counts, whatever it points to). */
function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
