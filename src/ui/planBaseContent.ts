/**
 * The `plan-base:` documents: the base side of a plan's diffs, read from git
 * (never from temporary files).
 *
 *   plan-base:/src/app.ts?{"repo":"<common git dir>","plan":"189","commit":"<merge-base>","path":"src/app.ts"}
 *
 * `empty: true` stands for "not in the base" (an added or untracked file).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { PlanRepositories } from './repositories';

export const PLAN_BASE_SCHEME = 'plan-base';

interface BaseQuery {
  repo: string;
  plan: string;
  commit: string;
  path: string;
  empty?: boolean;
}

/**
 * The base version of `file` (relative to the worktree). With `worktree`, the
 * URI's path is the file's path in the worktree, as the built-in git
 * extension's `git:` URIs have: editors that compare the two sides' paths
 * (the changes editor tells a rename by them) see the same file.
 */
export function planBaseUri(
  commonDir: string,
  planId: string,
  commit: string,
  file: string,
  empty = false,
  worktree?: string,
): vscode.Uri {
  const query: BaseQuery = { repo: commonDir, plan: planId, commit, path: file, ...(empty ? { empty } : {}) };
  const shown = worktree === undefined ? `/${file}` : vscode.Uri.file(path.join(worktree, file)).path;
  return vscode.Uri.from({ scheme: PLAN_BASE_SCHEME, path: shown, query: JSON.stringify(query) });
}

export class PlanBaseContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly repositories: PlanRepositories) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = JSON.parse(uri.query) as BaseQuery;
    if (query.empty) return '';
    const engine = this.repositories.engines.find((e) => e.repo.commonDir === query.repo);
    if (!engine) throw new Error(vscode.l10n.t('The repository of {0} is not open in this window.', uri.path));
    const content = await engine.readBaseContent(query.plan, query.commit, query.path);
    return content?.toString('utf8') ?? '';
  }

  static register(repositories: PlanRepositories): vscode.Disposable {
    return vscode.workspace.registerTextDocumentContentProvider(
      PLAN_BASE_SCHEME,
      new PlanBaseContentProvider(repositories),
    );
  }
}
