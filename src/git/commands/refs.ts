/**
 * Refs: reading them (`rev-parse`, `for-each-ref`, `symbolic-ref`, the last
 * entry of a reflog) and moving
 * them by compare-and-swap (`update-ref <ref> <new> <old>`): a ref that is no
 * longer where the caller saw it is refused with reason `moved`, one that
 * must not exist yet and does with `exists`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GitErrorCode } from '../errors';
import { readSmallFile } from '../worktreeFiles';
import { GitAt, options, records } from './git';
import { ReasonRule, withReasons } from './reasons';

export type RefReason = 'moved' | 'exists';

const updateReasons: ReadonlyArray<ReasonRule<RefReason>> = [
  // Created with an empty old value: "reference already exists" (files backend) or a lock held by the other creator.
  {
    pattern: /reference already exists|already exists|cannot lock ref/i,
    reason: 'exists',
    code: GitErrorCode.RefLocked,
  },
];
const moveReasons: ReadonlyArray<ReasonRule<RefReason>> = [
  { pattern: /but expected|is at .* but|unable to resolve reference/i, reason: 'moved', code: GitErrorCode.RefLocked },
];

/** What each of `revisions` names, in order (`rev-parse`); throws when one does not resolve. */
export async function revParse(at: GitAt, revisions: string[]): Promise<string[]> {
  return records(await at.git.run(['rev-parse', ...revisions], options(at)), '\n');
}

/** The object `revision` names (`rev-parse --verify --quiet`), or undefined when it names none. */
export async function verifyRef(at: GitAt, revision: string): Promise<string | undefined> {
  const out = await at.git.exec(['rev-parse', '--verify', '--quiet', revision], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/** The commit HEAD is at and the full ref of its branch (`HEAD` when detached); undefined before the first commit. */
export async function headCommitAndBranch(at: GitAt): Promise<{ commit: string; ref: string } | undefined> {
  const out = await at.git.exec(
    ['rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD'],
    options(at, { okExitCodes: [128] }),
  );
  const [commit, ref] = out.stdout.trim().split('\n');
  return out.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(commit) && ref ? { commit, ref } : undefined;
}

/** The short name of the branch HEAD is on (`symbolic-ref -q --short HEAD`); undefined when detached. */
export async function currentBranch(at: GitAt): Promise<string | undefined> {
  const out = await at.git.exec(['symbolic-ref', '-q', '--short', 'HEAD'], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/** A `for-each-ref` field, as in `%(refname)`, `%(objectname)`, `%(upstream:remotename)`. */
export type RefField = string;

/**
 * Each ref matching `patterns` (after `--`) as its `fields`, in order:
 * one git process. `contains` keeps refs whose tip contains that commit,
 * `merged` those whose tip is in the history of that commit (`--merged=`),
 * `count` stops after that many. Fields must not hold NUL or \x01.
 */
export async function forEachRef(
  at: GitAt,
  patterns: string[],
  fields: RefField[],
  filter: { contains?: string; merged?: string; count?: number; sort?: string } = {},
): Promise<string[][]> {
  const format = `--format=${fields.map((f) => `%(${f})`).join('%00')}%01`;
  const args = [
    'for-each-ref',
    ...(filter.count !== undefined ? [`--count=${filter.count}`] : []),
    ...(filter.sort !== undefined ? [`--sort=${filter.sort}`] : []),
    format,
    ...(filter.contains !== undefined ? ['--contains', filter.contains] : []),
    ...(filter.merged !== undefined ? [`--merged=${filter.merged}`] : []),
    '--',
    ...patterns,
  ];
  const out = await at.git.run(args, options(at));
  return records(out, '\x01')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r !== '')
    .map((r) => r.split('\0'));
}

/**
 * Moves `ref` to `to` (`update-ref -m <message> <ref> <to> <expected>`):
 * only while it is at `expected` (reason `moved` otherwise).
 */
export async function updateRef(
  at: GitAt,
  ref: string,
  to: string,
  change: { expected: string; message?: string },
): Promise<void> {
  await withReasons(moveReasons, () =>
    at.git.run(['update-ref', ...reflog(change.message), ref, to, change.expected], options(at)),
  );
}

/** Creates `ref` at `commit`, atomically: reason `exists` when it exists already (never overwritten). */
export async function createRef(at: GitAt, ref: string, commit: string, message?: string): Promise<void> {
  await withReasons(updateReasons, () => at.git.run(['update-ref', ...reflog(message), ref, commit, ''], options(at)));
}

/** Deletes `ref`, only while it is at `expected` when given (reason `moved` otherwise). */
export async function deleteRef(
  at: GitAt,
  ref: string,
  change: { expected?: string; message?: string } = {},
): Promise<void> {
  const expected = change.expected !== undefined ? [change.expected] : [];
  await withReasons(moveReasons, () =>
    at.git.run(['update-ref', ...reflog(change.message), '-d', ref, ...expected], options(at)),
  );
}

function reflog(message: string | undefined): string[] {
  return message !== undefined ? ['-m', message] : [];
}

/** One reflog entry: the ref moved from `from` to `to`, saying `message`. */
export interface ReflogEntry {
  from: string;
  to: string;
  message: string;
}

/**
 * The last entry of the reflog of `ref` (a full ref name) in the repository
 * whose common git directory is `commonDir`, read as a file (no git
 * process): `<old> <new> <who> <time> <zone>\t<message>`. Undefined when
 * there is none. The file is data: only this line's shape is trusted.
 */
export function lastReflogEntry(commonDir: string, ref: string): ReflogEntry | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(commonDir, 'logs', ref), 'utf8');
  } catch {
    return undefined;
  }
  const line = text.trimEnd().split('\n').pop() ?? '';
  const match = /^([0-9a-f]+) ([0-9a-f]+) [^\t]*\t(.*)$/.exec(line);
  return match ? { from: match[1], to: match[2], message: match[3] } : undefined;
}

/**
 * The branch the HEAD of the git directory `gitDir` names (`ref: refs/heads/<name>`),
 * read as a file (no git process). A guess only, which git must confirm
 * (`%(HEAD)` of `readRefs`): the file is data, and only this line's shape is
 * trusted. Undefined for any other content, a link, anything but a file, or none.
 */
export function headFileBranch(gitDir: string): string | undefined {
  const text = readSmallFile(path.join(gitDir, 'HEAD'), 512);
  return text === undefined ? undefined : /^ref: refs\/heads\/([^\n]+)\n?$/.exec(text)?.[1];
}

/** A branch's upstream on a remote: the remote, its ref (`refs/heads/main`) and the local remote-tracking ref, if any. */
export interface Upstream {
  remote: string;
  remoteRef: string;
  trackingRef: string;
}

/** The upstream that `%(upstream:remotename)`, `%(upstream:remoteref)` and `%(upstream)` describe: none for a local one (`.`). */
export function upstreamFrom(remote = '', remoteRef = '', trackingRef = ''): Upstream | undefined {
  return remote && remote !== '.' && remoteRef ? { remote, remoteRef, trackingRef } : undefined;
}

/** A ref as `readRefs` reads it. */
export interface RefRecord {
  ref: string;
  /** The object it points at, and that object's type (`commit` for a usual branch). */
  object: string;
  type: string;
  /** Whether HEAD of the folder git runs in is on this branch. */
  head: boolean;
  /** A branch's upstream on a remote. */
  upstream?: Upstream;
  /** The message of the commit or tag a ref outside `refs/heads/` points at; a branch's is not read (empty). */
  contents: string;
}

const refFields = [
  '%(refname)',
  '%(objectname)',
  '%(objecttype)',
  '%(HEAD)',
  '%(upstream:remotename)',
  '%(upstream:remoteref)',
  '%(upstream)',
  '%(if:equals=refs/heads)%(refname:rstrip=-2)%(then)%(else)%(contents)%(end)',
];

/**
 * The refs matching `patterns` (after `--`), by refname, with their object,
 * whether HEAD is on them, their upstream, and (outside `refs/heads/`) their
 * message: one `for-each-ref`, which answers what `rev-parse`, the upstream's
 * `for-each-ref` and a listing of refs would. Undefined when the output is
 * not well formed (a message or a setting holding the separators makes a
 * record of the wrong length, or one out of git's order): the caller then
 * asks each question on its own.
 */
export async function readRefs(at: GitAt, patterns: string[]): Promise<RefRecord[] | undefined> {
  const out = await at.git.run(
    ['for-each-ref', '--sort=refname', `--format=${refFields.join('%00')}%01`, '--', ...patterns],
    options(at),
  );
  const refs: RefRecord[] = [];
  for (const record of records(out, '\x01')) {
    const text = record.replace(/^\n/, '');
    if (text === '') continue;
    const fields = text.split('\0');
    if (fields.length !== refFields.length) return undefined;
    const [ref, object, type, head, remote, remoteRef, trackingRef, contents] = fields;
    const previous = refs[refs.length - 1];
    if (previous && Buffer.compare(Buffer.from(previous.ref), Buffer.from(ref)) >= 0) return undefined;
    if (!ref.startsWith('refs/') || !/^[0-9a-f]{40,64}$/.test(object)) return undefined;
    const upstream = upstreamFrom(remote, remoteRef, trackingRef);
    refs.push({ ref, object, type, head: head === '*', ...(upstream ? { upstream } : {}), contents });
  }
  return refs;
}
