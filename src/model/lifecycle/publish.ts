/**
 * "Publish Plan": pushes the plan branch to the remote of its base branch, for
 * teams that review through pull requests. Once the pull request is merged on
 * the server and fetched, `isMerged` sees the work in the base's upstream and
 * the plan cleans up like a local merge.
 */
import { getConfig } from '../../git/commands/config';
import { fetch, listRemotes, pushBranch } from '../../git/commands/remote';
import { ErrorCode, PlanError } from '../engine/errors';
import { qualifyBranch } from '../state/merged';
import { PlanRecord, RepoContext } from '../engine/types';

export interface PublishResult {
  remote: string;
  /** What the remote said (git push's messages: the pull-request link, if the server prints one). */
  answer: string;
}

/** The remote of the base branch (its upstream's), else `origin` when it exists. */
export async function remoteForBase(ctx: RepoContext, base: string): Promise<string> {
  const repo = { git: ctx.git, cwd: ctx.repo.commonDir };
  const remote = (await getConfig(repo, `branch.${base}.remote`)) ?? '';
  if (remote && remote !== '.') return remote;
  const remotes = await listRemotes(repo);
  if (remotes.includes('origin')) return 'origin';
  throw new PlanError(ErrorCode.BranchNotFound, { reason: 'noRemote', base });
}

export async function publishPlan(ctx: RepoContext, plan: PlanRecord, signal?: AbortSignal): Promise<PublishResult> {
  const remote = await remoteForBase(ctx, plan.base);
  const ref = qualifyBranch(plan.branch);
  const answer = await pushBranch({ git: ctx.git, cwd: plan.path, signal }, remote, ref);
  return { remote, answer };
}

/** Fetches the base's remote, so a pull request merged on the server is seen. Quiet about failures: the caller decides. */
export async function fetchBaseRemote(ctx: RepoContext, base: string, signal?: AbortSignal): Promise<void> {
  const remote = await remoteForBase(ctx, base);
  await fetch({ git: ctx.git, cwd: ctx.repo.commonDir, signal }, remote);
}
