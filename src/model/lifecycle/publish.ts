/**
 * "Publish Plan": pushes the plan branch to the remote of its base branch, for
 * teams that review through pull requests. Once the pull request is merged on
 * the server and fetched, `isMerged` sees the work in the base's upstream and
 * the plan cleans up like a local merge.
 */
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
  const configured = await ctx.git.exec(['config', '--get', `branch.${base}.remote`], {
    cwd: ctx.repo.commonDir,
    okExitCodes: [1],
  });
  const remote = configured.stdout.trim();
  if (remote && remote !== '.') return remote;
  const remotes = (await ctx.git.run(['remote'], { cwd: ctx.repo.commonDir })).split('\n').filter(Boolean);
  if (remotes.includes('origin')) return 'origin';
  throw new PlanError(ErrorCode.BranchNotFound, { reason: 'noRemote', base });
}

export async function publishPlan(ctx: RepoContext, plan: PlanRecord, signal?: AbortSignal): Promise<PublishResult> {
  const remote = await remoteForBase(ctx, plan.base);
  const ref = qualifyBranch(plan.branch);
  const out = await ctx.git.exec(['push', '--porcelain', '--set-upstream', '--', remote, `${ref}:${ref}`], {
    cwd: plan.path,
    signal,
  });
  return {
    remote,
    answer: [out.stderr, out.stdout]
      .map((s) => s.trim())
      .filter(Boolean)
      .join('\n'),
  };
}

/** Fetches the base's remote, so a pull request merged on the server is seen. Quiet about failures: the caller decides. */
export async function fetchBaseRemote(ctx: RepoContext, base: string, signal?: AbortSignal): Promise<void> {
  const remote = await remoteForBase(ctx, base);
  await ctx.git.run(['fetch', '--quiet', '--', remote], { cwd: ctx.repo.commonDir, signal });
}
