/**
 * Where plan worktrees may go: the `worktreeLocation` template. A folder read
 * from a state file (a registry entry, a snapshot's record) is used only when
 * the template allows it, that is inside the folder the template puts every
 * plan in, outside the git directory and any `.git` folder; otherwise the
 * template's own folder for that plan is used.
 */
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { expandRunTemplate, expandTemplate, TemplateVariables, validateWorktreePath } from '../engine/names';
import { RepoContext } from '../engine/types';

/** The variables of the location and branch templates for a plan of this repository. */
export function templateVariables(
  ctx: RepoContext,
  plan: { id: string; slug: string; run: number },
): TemplateVariables {
  const name = path.basename(ctx.repo.mainPath);
  return {
    id: plan.id,
    slug: plan.slug,
    run: plan.run,
    repoName: ctx.repo.bare ? name.replace(/\.git$/, '') : name,
    repoParent: path.dirname(ctx.repo.mainPath),
    home: os.homedir(),
  };
}

/**
 * A folder as written in a template or given to create, before it is
 * validated: a leading `~` is the user's home folder, a relative folder is
 * taken from the main worktree. Nothing is normalized here, so a `..` is still
 * there for the validation to refuse. `~user` (another user's home) throws
 * `InvalidName`.
 */
export function unresolvedFolder(ctx: RepoContext, folder: string): string {
  const home = /^~(?=$|[\\/])/.exec(folder);
  if (home) return `${os.homedir()}${folder.slice(1)}`;
  if (folder.startsWith('~')) {
    throw new PlanError(ErrorCode.InvalidName, {
      reason: 'name',
      problem: `The worktree folder "${folder}" starts with "~" followed by a name: only "~" alone, your own home folder, is known (as in "~/plans/\${id}"; or write "\${home}").`,
    });
  }
  return path.isAbsolute(folder) ? folder : `${ctx.repo.mainPath}${path.sep}${folder}`;
}

/** A template's folder as an absolute path: `~` is the home folder, a relative one is taken from the main worktree. */
export function absoluteFolder(ctx: RepoContext, folder: string): string {
  return path.normalize(unresolvedFolder(ctx, folder));
}

/** The folder the location template gives this run of a plan (a later run's gets `-run-NNN` when the template does not name the run). */
export function templateFolder(ctx: RepoContext, plan: { id: string; slug: string; run: number }): string {
  return absoluteFolder(ctx, expandRunTemplate(ctx.settings.worktreeLocation, templateVariables(ctx, plan)));
}

/** The folder every plan's folder is in: the template up to its first plan variable (`${id}`, `${slug}`, `${run}`, `${runNumber}`). */
export function locationRoot(ctx: RepoContext): string {
  const marker = '\u0000';
  const template = ctx.settings.worktreeLocation.replace(/\$\{(id|slug|run|runNumber)\}/g, marker);
  const expanded = absoluteFolder(ctx, expandTemplate(template, templateVariables(ctx, { id: '', slug: '', run: 1 })));
  const cut = expanded.indexOf(marker);
  if (cut < 0) return path.dirname(expanded);
  const prefix = expanded.slice(0, cut);
  return /[\\/]$/.test(prefix) ? path.normalize(prefix) : path.dirname(prefix);
}

/** Whether a recorded folder is one the template allows for a plan worktree. */
export function isAllowedFolder(ctx: RepoContext, folder: string): boolean {
  if (validateWorktreePath(folder) !== undefined) return false;
  const inside = path.relative(locationRoot(ctx), folder);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return false;
  if (inside.split(/[\\/]/).some((part) => part.toLowerCase() === '.git')) return false;
  const inGitDir = path.relative(ctx.repo.commonDir, folder);
  return inGitDir.startsWith('..') || path.isAbsolute(inGitDir);
}

/** The plan's recorded folder when the template allows it, else the template's folder for the plan. */
export function allowedPlanFolder(
  ctx: RepoContext,
  plan: { id: string; slug: string; run: number; path: string },
): string {
  return isAllowedFolder(ctx, plan.path) ? plan.path : templateFolder(ctx, plan);
}
