/**
 * Opening the files of `<common git dir>/plan-worktrees/` safely. Anyone who
 * can write to the repository's folder controls them, so: the folder must be
 * a real folder (a symbolic link there would send every write elsewhere),
 * a file is opened without following a symbolic link, only a regular file is
 * read or written (a FIFO or a device would hang or never end), and a file
 * far larger than a real one is refused before it is read. Each refusal is a
 * typed error that names the file.
 */
import { randomBytes } from 'crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fs, readSync } from 'fs';
import * as path from 'path';
import { DomainCode, ErrorCode, ErrorData, PlanError } from '../engine/errors';

/** The folder in the common git directory that holds our state. */
export function stateDir(commonDir: string): string {
  return path.join(commonDir, 'plan-worktrees');
}

/** Whether the folder exists; throws `StateFileUnsafe` when it is a symbolic link or not a folder. */
export async function checkStateFolder(dir: string): Promise<boolean> {
  let stat;
  try {
    stat = await fs.lstat(dir);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return false;
    throw e;
  }
  if (stat.isSymbolicLink()) {
    throw unsafe(dir, 'folderIsSymlink');
  }
  if (!stat.isDirectory()) throw unsafe(dir, 'notAFolder');
  return true;
}

/** Makes the folder (and its parents) when missing; throws `StateFileUnsafe` when it is a symbolic link or not a folder. */
export async function ensureStateFolder(dir: string): Promise<void> {
  if (await checkStateFolder(dir)) return;
  await fs.mkdir(dir, { recursive: true });
  await checkStateFolder(dir);
}

export type StateFileMode = 'read' | 'append';

/**
 * Opens a state file without following a symbolic link, in a real folder;
 * undefined when it (or its folder) does not exist and `mode` is `read`.
 * `append` creates it. Throws `StateFileUnsafe` for a link or anything but a
 * regular file. The caller closes the handle.
 */
export async function openStateFile(file: string, mode: 'append'): Promise<fs.FileHandle>;
export async function openStateFile(file: string, mode: 'read'): Promise<fs.FileHandle | undefined>;
export async function openStateFile(file: string, mode: StateFileMode): Promise<fs.FileHandle | undefined> {
  if (mode === 'append') await ensureStateFolder(path.dirname(file));
  else if (!(await checkStateFolder(path.dirname(file)))) return undefined;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const flags =
    (mode === 'append' ? constants.O_RDWR | constants.O_APPEND | constants.O_CREAT : constants.O_RDONLY) |
    noFollow |
    (constants.O_NONBLOCK ?? 0);
  let handle: fs.FileHandle;
  try {
    if (noFollow === 0 && (await fs.lstat(file).catch(() => undefined))?.isSymbolicLink()) {
      throw Object.assign(new Error('symbolic link'), { code: 'ELOOP' });
    }
    handle = await fs.open(file, flags, 0o666);
  } catch (e) {
    if (errorCode(e) === 'ENOENT' && mode === 'read') return undefined;
    if (errorCode(e) === 'ELOOP' || errorCode(e) === 'EMLINK') {
      throw unsafe(file, 'fileIsSymlink');
    }
    throw e;
  }
  try {
    if (!(await handle.stat()).isFile()) throw unsafe(file, 'notAFile');
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}

/** The text of a state file, undefined when it does not exist; `StateFileTooLarge` when it is over `maxBytes`. */
export async function readStateFile(file: string, maxBytes: number): Promise<string | undefined> {
  const handle = await openStateFile(file, 'read');
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(file, size, maxBytes);
    // Read at most one byte past the limit: a file that grows meanwhile is refused too.
    const buffer = Buffer.alloc(size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(file, length, maxBytes);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * `readStateFile` without yielding: the same checks (a real folder, no link,
 * a regular file, at most `maxBytes`), for a small file read while a busy
 * event loop would delay every step of an asynchronous read (the first
 * paint at start-up).
 */
export function readStateFileSync(file: string, maxBytes: number): string | undefined {
  const dir = path.dirname(file);
  let folder;
  try {
    folder = lstatSync(dir);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  if (folder.isSymbolicLink()) throw unsafe(dir, 'folderIsSymlink');
  if (!folder.isDirectory()) throw unsafe(dir, 'notAFolder');
  let fd: number;
  try {
    if (noFollow === 0 && lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw Object.assign(new Error('symbolic link'), { code: 'ELOOP' });
    }
    fd = openSync(file, constants.O_RDONLY | noFollow | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    if (errorCode(e) === 'ELOOP' || errorCode(e) === 'EMLINK') throw unsafe(file, 'fileIsSymlink');
    throw e;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw unsafe(file, 'notAFile');
    if (stat.size > maxBytes) throw tooLarge(file, stat.size, maxBytes);
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(file, length, maxBytes);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a state file atomically: a new temporary file beside it (created
 * exclusively, so never through a link), then a rename over the old one
 * (which replaces a link itself, never what it points to). The folder is
 * made when missing and must be a real one.
 */
export async function writeStateFile(file: string, text: string): Promise<void> {
  await ensureStateFolder(path.dirname(file));
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}

/** `StateFileTooLarge` for a file of `size` bytes. */
export function tooLarge(file: string, size: number, maxBytes: number): PlanError {
  return new PlanError(ErrorCode.StateFileTooLarge, { path: file, size, maxBytes, files: [file] });
}

function unsafe(file: string, reason: ErrorData[DomainCode.StateFileUnsafe]['reason']): PlanError {
  return new PlanError(ErrorCode.StateFileUnsafe, { reason, path: file, files: [file] });
}

const noFollow = constants.O_NOFOLLOW ?? 0;

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
