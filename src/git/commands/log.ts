/**
 * History: `log`, `rev-list`, `merge-base`, `diff-tree`, parsed here.
 */
import { GitAt, options, records } from './git';

/** Whether `commit` is an ancestor of `of` (or the same commit): `merge-base --is-ancestor`. */
export async function isAncestor(at: GitAt, commit: string, of: string): Promise<boolean> {
  const out = await at.git.exec(['merge-base', '--is-ancestor', commit, of], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0;
}

/** One commit to replay, as `git log` gives it. */
export interface ReplayCommit {
  oid: string;
  parent: string;
  authorName: string;
  authorEmail: string;
  /** Raw date: seconds and zone, as commit-tree reads it. */
  authorDate: string;
  /** The full message, without the newlines that end it. */
  message: string;
}

/**
 * The commits `git rebase` would replay from `tip` onto `onto`, oldest first:
 * no merges, none whose change `onto` has already (`--cherry-pick`). One process.
 */
export async function commitsToReplay(at: GitAt, onto: string, tip: string): Promise<ReplayCommit[]> {
  const args = [
    'log',
    '--reverse',
    '--topo-order',
    '--no-merges',
    '--right-only',
    '--cherry-pick',
    '--date=raw',
    '--format=%H%x00%P%x00%an%x00%ae%x00%ad%x00%B%x01',
    `${onto}...${tip}`,
  ];
  const out = await at.git.run(args, options(at));
  return records(out, '\x01')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record !== '')
    .map((record) => {
      const [oid, parent, authorName, authorEmail, authorDate, message] = record.split('\0');
      return { oid, parent, authorName, authorEmail, authorDate, message: message.replace(/\n+$/, '') };
    });
}

/** `- <short oid> <subject>` of each commit of `tip` not in `base`, oldest first, one per line. */
export async function commitList(at: GitAt, tip: string, base: string): Promise<string> {
  return (await at.git.run(['log', '--reverse', '--format=- %h %s', tip, `^${base}`], options(at))).trim();
}

/** A path a diff lists, with its status letter (`A`, `D`, `M`...). */
export interface ChangedPath {
  status: string;
  path: string;
}

/** The paths that differ between two commits (`diff-tree -r -z --no-renames --name-status`). */
export async function changedPaths(at: GitAt, from: string, to: string): Promise<ChangedPath[]> {
  const out = await at.git.run(['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to], options(at));
  return parseNameStatus(out);
}

/** Parses `--name-status -z` output: a status field, then a path field. */
export function parseNameStatus(text: string): ChangedPath[] {
  const fields = text.split('\0');
  const changes: ChangedPath[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) changes.push({ status: fields[i], path: fields[i + 1] });
  return changes;
}
