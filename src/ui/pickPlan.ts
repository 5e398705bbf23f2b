/**
 * Resolves the plan a command is about, from whatever it was given: a tree
 * node, `{ plan: "189" }`, `{ plan: "189", run: 2 }`, `"189"`, or nothing
 * (this window's plan, or a quick pick when several fit). An id alone names
 * its default run (`defaultRun`: the newest that is active or has its
 * worktree); `run` names exactly that run. `repository` (or a tree node)
 * narrows it to one repository; an id that several repositories have is
 * picked by a person and refused to a program (`RepositoryAmbiguous`).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanError } from '../model/engine/errors';
import { shownName } from '../model/engine/names';
import { defaultRun, PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import { isProgram, planIdOf, planRunOf } from './commands/args';
import { escapeIcons } from './iconSyntax';
import { PlanRepositories } from './repositories';
import { repositoryArgOf, whichRepository } from './whichRepository';

export interface PickedPlan {
  engine: PlanEngine;
  item: PlanWorktree;
  plan: PlanRecord;
}

/**
 * The plan named by `args`; without a name, this window's plan, the only plan,
 * or the user's pick among `filter`ed plans. Undefined when the user cancels.
 */
export async function pickPlan(
  repositories: PlanRepositories,
  args: unknown,
  options: {
    placeHolder: string;
    /** Which plans the pick offers. */
    filter?: (item: PlanWorktree, engine: PlanEngine) => boolean | Promise<boolean>;
    preferCurrent?: boolean;
    /** Said when no plan passes the filter. */
    none?: string;
  },
): Promise<PickedPlan | undefined> {
  // Named by `repository`: that repository's plans only.
  const scope = repositoryArgOf(args) !== undefined ? await whichRepository(repositories, args) : undefined;
  const all = (await repositories.allItems()).filter(
    ({ engine, item }) => item.kind === 'plan' && item.plan && (!scope || engine === scope),
  );
  // From the Source Control view's title: the plan whose worktree is that source control's root.
  const root = (args as { rootUri?: unknown } | undefined)?.rootUri;
  if (root instanceof vscode.Uri) {
    const found = all.find(({ item }) => item.worktree?.path === root.fsPath);
    if (found) return { engine: found.engine, item: found.item, plan: found.item.plan as PlanRecord };
  }
  const id = planIdOf(args);
  if (id !== undefined) {
    const run = planRunOf(args);
    const matches = all.filter(({ item }) => item.plan?.id === id);
    // In each repository that has the id: the run named, else its default run.
    const perRepository = [...new Set(matches.map(({ engine }) => engine))].flatMap((engine) => {
      const here = matches.filter((m) => m.engine === engine);
      const chosen =
        run !== undefined
          ? here.find(({ item }) => item.plan?.run === run)?.item.plan
          : defaultRun(
              here.map(({ item }) => item.plan as PlanRecord),
              (plan) => !!here.find(({ item }) => item.plan === plan)?.item.worktree,
            );
      const found = here.find(({ item }) => item.plan === chosen);
      return found ? [found] : [];
    });
    if (perRepository.length === 0) {
      throw new PlanError(ErrorCode.PlanNotFound, {
        reason: 'noPlan',
        plan: shownName(id),
        ...(run !== undefined ? { run } : {}),
      });
    }
    if (perRepository.length > 1 && isProgram(args)) {
      throw new PlanError(ErrorCode.RepositoryAmbiguous, {
        plan: shownName(id),
        repositories: perRepository.map(({ engine }) => engine.repo.mainPath),
      });
    }
    const found =
      perRepository.length === 1 ? perRepository[0] : await pickAmong(perRepository, all, options.placeHolder);
    return found && { engine: found.engine, item: found.item, plan: found.item.plan as PlanRecord };
  }
  if (options.preferCurrent !== false) {
    for (const engine of repositories.engines) {
      const current = await engine.currentPlan().catch(() => undefined);
      const match =
        current &&
        all.find(
          ({ engine: e, item }) =>
            e === engine && item.plan?.id === current.id && item.plan.run === current.run && item.worktree,
        );
      if (match) return { engine: match.engine, item: match.item, plan: match.item.plan as PlanRecord };
    }
  }
  const offered = await Promise.all(all.map(({ engine, item }) => !options.filter || options.filter(item, engine)));
  const candidates = all.filter((_, i) => offered[i]);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      options.none ??
        vscode.l10n.t('There is no plan for that. Create one with "Plan Worktrees: Create Plan Worktree…".'),
    );
    return undefined;
  }
  const picked = await pickAmong(candidates, all, options.placeHolder);
  return picked && { engine: picked.engine, item: picked.item, plan: picked.item.plan as PlanRecord };
}

/** A quick pick of plans (`listed`: every plan, for the run labels); with several repositories, each names its repository. */
async function pickAmong(
  candidates: Array<{ engine: PlanEngine; item: PlanWorktree }>,
  listed: Array<{ item: PlanWorktree }>,
  placeHolder: string,
): Promise<{ engine: PlanEngine; item: PlanWorktree } | undefined> {
  const repositoriesShown = new Set(candidates.map(({ engine }) => engine)).size > 1;
  return vscode.window.showQuickPick(
    candidates.map(({ engine, item }) => ({
      label: escapeIcons(`${item.plan?.id} · ${item.plan?.title}`),
      // A plan with several runs: which run each one is; with several repositories, which repository.
      description: item.plan
        ? [
            runLabel(item.plan, listed),
            escapeIcons(item.plan.branch),
            repositoriesShown ? escapeIcons(path.basename(engine.repo.mainPath)) : undefined,
          ]
            .filter(Boolean)
            .join(' · ')
        : undefined,
      detail: item.worktree ? escapeIcons(item.worktree.path) : vscode.l10n.t('no worktree'),
      engine,
      item,
    })),
    { placeHolder, matchOnDescription: true },
  );
}

/** "run 2" for a plan with several runs (any of its runs past the first, or another run listed), else undefined. */
export function runLabel(plan: PlanRecord, listed: Array<{ item: PlanWorktree }>): string | undefined {
  const several = plan.run > 1 || listed.some(({ item }) => item.plan?.id === plan.id && item.plan.run !== plan.run);
  return several ? vscode.l10n.t('run {0}', plan.run) : undefined;
}
