/**
 * History: `log`, `rev-list`, `merge-base`, `cherry`, `diff-tree`, parsed here.
 */
import { ChangedPath, parseNameStatus } from './diff';
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

/** What the tree view shows of a commit, with its tree. */
export interface CommitSummary {
  sha: string;
  tree: string;
  /** Committer date, ISO 8601. */
  date: string;
  subject: string;
}

/** The commit each of `revs` names (`log --no-walk`), in their order: one process for all. */
export async function commitSummaries(at: GitAt, revs: string[]): Promise<CommitSummary[]> {
  if (revs.length === 0) return [];
  const out = await at.git.run(['log', '--no-walk=unsorted', '--format=%H%x00%T%x00%cI%x00%s', ...revs], options(at));
  const commits: CommitSummary[] = [];
  for (const line of out.split('\n')) {
    const [sha, tree, date, subject] = line.split('\0');
    if (subject !== undefined) commits.push({ sha, subject, date, tree });
  }
  return commits;
}

/** The best common ancestor of two commits (`merge-base`), or undefined when their histories share none. */
export async function mergeBase(at: GitAt, a: string, b: string): Promise<string | undefined> {
  const out = await at.git.exec(['merge-base', a, b], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/** A commit in the history of every one of `commits` (`merge-base --octopus`), or undefined when there is none. */
export async function octopusMergeBase(at: GitAt, commits: string[]): Promise<string | undefined> {
  const out = await at.git.exec(['merge-base', '--octopus', ...commits], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/**
 * The commits reachable from `from` and not from `exclude`, each with its
 * parents (`rev-list --parents`): the graph to walk.
 */
export async function commitGraph(at: GitAt, from: string[], exclude: string[] = []): Promise<Map<string, string[]>> {
  const out = await at.git.run(['rev-list', '--parents', ...from, ...exclude.map((c) => `^${c}`)], options(at));
  const graph = new Map<string, string[]>();
  for (const line of records(out, '\n')) {
    const [oid, ...parents] = line.split(' ');
    graph.set(oid, parents);
  }
  return graph;
}

/** The commit `revision` names and its parents, first parent first (`rev-list --parents -n 1`). */
export async function commitParents(at: GitAt, revision: string): Promise<{ commit: string; parents: string[] }> {
  const out = await at.git.run(['rev-list', '--parents', '-n', '1', revision], options(at));
  const [commit, ...parents] = out.trim().split(' ');
  return { commit, parents };
}

/** One commit of `git cherry`: whether the upstream has a patch-equivalent one. */
export interface CherryCommit {
  oid: string;
  /** `-` in git's answer: the upstream has the same change. */
  equivalent: boolean;
}

/** The commits of `head` not in `upstream`, each with whether `upstream` has the same change (`cherry`). */
export async function cherry(at: GitAt, upstream: string, head: string): Promise<CherryCommit[]> {
  const out = await at.git.run(['cherry', upstream, head], options(at));
  return records(out, '\n').map((line) => ({ oid: line.slice(2), equivalent: line.startsWith('- ') }));
}

/** The paths that differ between two commits (`diff-tree -r -z --no-renames --name-status`). */
export async function changedPaths(at: GitAt, from: string, to: string): Promise<ChangedPath[]> {
  const out = await at.git.run(['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to], options(at));
  return parseNameStatus(out);
}

/** A path that differs between two trees, with its content at the second: mode and blob (none when deleted). */
export interface TreeChange {
  path: string;
  /** `A`, `M`, `D` or `T`. */
  status: string;
  mode?: string;
  blob?: string;
}

/** The paths that differ between two trees or commits, with their content at `to` (`diff-tree -r -z --no-renames`). */
export async function treeChanges(at: GitAt, from: string, to: string): Promise<TreeChange[]> {
  const fields = (await at.git.run(['diff-tree', '-r', '-z', '--no-renames', from, to], options(at))).split('\0');
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    // `:<old mode> <new mode> <old blob> <new blob> <status>`, then the path.
    const [, mode, , blob, status] = fields[i].split(' ');
    const path = fields[i + 1];
    changes.push(status === 'D' ? { path, status } : { path, status, mode, blob });
  }
  return changes;
}

/** Whether two trees (or the trees of two commits) are the same (`diff-tree --quiet`). */
export async function sameTrees(at: GitAt, a: string, b: string): Promise<boolean> {
  return (await at.git.exec(['diff-tree', '--quiet', a, b, '--'], options(at, { okExitCodes: [1] }))).exitCode === 0;
}
