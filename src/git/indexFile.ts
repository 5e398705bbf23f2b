/**
 * A worktree's index file read as data, without a git process, for one
 * question: is any entry flagged assume-unchanged or skip-worktree? Those are
 * the entries whose edits `git status` and `git worktree remove`'s own check
 * do not see, so a removal must look at them itself; in nearly every
 * worktree there are none, and then this answer spares the `ls-files -v`
 * that lists every entry. The file is opened without following a link and
 * without blocking, and checked from end to end (header, every entry, every
 * extension, the trailing hash's length): anything it does not know — a split
 * index (`link`), a sparse index (`sdir`), an unknown version, bytes out of
 * place — gives undefined, and the caller asks git.
 */
import * as fs from 'fs';
import * as path from 'path';
import { worktreeGitDir } from './worktreeFiles';

/** Larger index files are left to git (some 600,000 entries). */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** The entry flags `ls-files -v` shows: assume-valid (assume-unchanged) in the flags, skip-worktree in the extended ones. */
const ASSUME_VALID = 0x8000;
const EXTENDED = 0x4000;
const SKIP_WORKTREE = 0x4000;
/** Extended flags git writes: skip-worktree and intent-to-add; any other bit set is a format this reader does not know. */
const KNOWN_EXTENDED = 0x6000;
const NAME_MASK = 0x0fff;
/** Bytes of an entry before its object name: ctime, mtime (seconds, nanoseconds), dev, ino, mode, uid, gid, size. */
const STAT_BYTES = 40;

/**
 * Whether the index of the worktree at `folder` has an entry flagged
 * assume-unchanged or skip-worktree: false when the whole file was read and no
 * entry is; true when one is; undefined when this reader cannot tell (no
 * index, a link or not a plain file, too large, a split or sparse index, an
 * unknown version or anything out of place) — then git must be asked.
 */
export async function indexHasFlaggedEntries(folder: string): Promise<boolean | undefined> {
  const gitDir = worktreeGitDir(folder);
  if (!gitDir) return undefined;
  const bytes = await readIndexFile(path.join(gitDir, 'index'));
  return bytes && flaggedInIndex(bytes);
}

/** The index file's bytes, or undefined when it is missing, a link, not a plain file, or too large. */
async function readIndexFile(file: string): Promise<Buffer | undefined> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(
      file,
      fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0),
    );
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_INDEX_BYTES) return undefined;
    return await handle.readFile();
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * `indexHasFlaggedEntries` on the index file's bytes: read with SHA-1 object
 * names, else SHA-256 ones; whichever lays the whole file out exactly answers.
 */
export function flaggedInIndex(bytes: Buffer): boolean | undefined {
  return flaggedWithHash(bytes, 20) ?? flaggedWithHash(bytes, 32);
}

function flaggedWithHash(bytes: Buffer, hashBytes: number): boolean | undefined {
  if (bytes.length < 12 + hashBytes || bytes.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = bytes.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = bytes.readUInt32BE(8);
  const end = bytes.length - hashBytes;
  let at = 12;
  let flagged = false;
  for (let i = 0; i < count; i++) {
    const start = at;
    const flagsAt = start + STAT_BYTES + hashBytes;
    if (flagsAt + 2 > end) return undefined;
    const flags = bytes.readUInt16BE(flagsAt);
    at = flagsAt + 2;
    if (flags & ASSUME_VALID) flagged = true;
    if (flags & EXTENDED) {
      if (version < 3 || at + 2 > end) return undefined;
      const extended = bytes.readUInt16BE(at);
      if (extended & ~KNOWN_EXTENDED) return undefined;
      if (extended & SKIP_WORKTREE) flagged = true;
      at += 2;
    }
    if (version === 4) {
      // The path is the previous one's, less a number of bytes (a varint), and then this NUL-ended rest; no padding.
      let varintBytes = 0;
      while (at < end && bytes[at] & 0x80 && varintBytes < 8) {
        at++;
        varintBytes++;
      }
      if (at >= end || bytes[at] & 0x80) return undefined;
      at++;
      const nul = bytes.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      at = nul + 1;
      continue;
    }
    // The path, then 1 to 8 NULs that end it and pad the entry to a multiple of eight bytes.
    const nameLength = flags & NAME_MASK;
    const nul = nameLength < NAME_MASK ? at + nameLength : bytes.indexOf(0, at + NAME_MASK);
    if (nul < 0 || nul >= end || bytes[nul] !== 0 || (nameLength < NAME_MASK && bytes.indexOf(0, at) !== nul)) {
      return undefined;
    }
    const next = start + Math.ceil((nul + 1 - start) / 8) * 8;
    if (next > end) return undefined;
    for (let p = nul; p < next; p++) if (bytes[p] !== 0) return undefined;
    at = next;
  }
  // Extensions: a four-byte name and a length each, up to the trailing hash exactly.
  while (at < end) {
    if (at + 8 > end) return undefined;
    const name = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32BE(at + 4);
    // A split index keeps entries in another file; a sparse index has folders as entries, flagged skip-worktree.
    if (name === 'link' || name === 'sdir') return undefined;
    at += 8 + size;
  }
  return at === end ? flagged : undefined;
}
