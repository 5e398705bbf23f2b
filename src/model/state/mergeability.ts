/**
 * Whether each active plan merges cleanly into its base right now, and which
 * other active plans change the same files — so a merge order can be chosen
 * before conflicts happen. Computed lazily and cached per pair of commits
 * (plan tip, base tip): commits never change, so neither do the answers.
 * A refresh costs one `for-each-ref` for all plans, plus `merge-tree` and
 * `diff --name-only` only for pairs not seen before.
 */
import { diffNames } from '../../git/commands/diff';
import { checkCommits, MergeCheck } from '../lifecycle/merge';
import { qualifyBranch, readRefs } from './merged';
import { PlanRecord, RepoContext } from '../engine/types';

export interface Mergeability {
  planId: string;
  /** True when the plan's committed work merges into its base without conflicts. */
  clean: boolean;
  conflicts: string[];
  /** Files the plan's commits change since the merge-base. */
  files: string[];
  /** Other active plans whose commits change at least one of the same files. */
  overlaps: Array<{ planId: string; files: string[] }>;
}

/** The key of one run of a plan in a map of runs: its id for the first run, `<id>#<run>` for a later one. */
export function runKey(plan: { id: string; run: number }): string {
  return plan.run > 1 ? `${plan.id}#${plan.run}` : plan.id;
}

export class MergeabilityCache {
  private readonly checks = new Map<string, Promise<MergeCheck>>();
  private readonly changed = new Map<string, Promise<string[]>>();

  constructor(private readonly ctx: RepoContext) {}

  /** The mergeability of every given (active) plan whose branch exists, by `runKey`. */
  async compute(plans: PlanRecord[]): Promise<Map<string, Mergeability>> {
    const refs = await readRefs(this.ctx, [
      ...new Set(plans.flatMap((p) => [qualifyBranch(p.branch), qualifyBranch(p.base)])),
    ]);
    const rows = await Promise.all(
      plans.map(async (plan) => {
        const tip = refs.get(qualifyBranch(plan.branch))?.oid;
        const base = refs.get(qualifyBranch(plan.base))?.oid;
        if (!tip || !base) return undefined;
        const key = `${tip}:${base}`;
        if (!this.checks.has(key)) this.checks.set(key, forget(this.checks, key, checkCommits(this.ctx, base, tip)));
        const check = await (this.checks.get(key) as Promise<MergeCheck>);
        const files = await this.changedFiles(check.mergeBase, tip);
        return { plan, check, files };
      }),
    );
    const result = new Map<string, Mergeability>();
    const known = rows.filter((r): r is NonNullable<typeof r> => r !== undefined);
    // Which plans change each file, per base: a plan's overlaps come from its own files' entries, not from
    // every other plan (200 plans made 40,000 pairs, in one synchronous stretch).
    const changing = new Map<string, number[]>();
    const fileKey = (base: string, file: string) => `${base}\0${file}`;
    known.forEach(({ plan, files }, i) => {
      for (const file of new Set(files)) {
        const key = fileKey(plan.base, file);
        const plans = changing.get(key);
        if (plans) plans.push(i);
        else changing.set(key, [i]);
      }
    });
    for (const { plan, check, files } of known) {
      const mine = new Set(files);
      const others = new Set<number>();
      for (const file of mine) {
        for (const i of changing.get(fileKey(plan.base, file)) ?? []) if (known[i].plan.id !== plan.id) others.add(i);
      }
      // In the order of the plans, each with the files it shares, in its own order.
      const overlaps = [...others]
        .sort((a, b) => a - b)
        .map((i) => ({ planId: known[i].plan.id, files: known[i].files.filter((f) => mine.has(f)) }));
      result.set(runKey(plan), { planId: plan.id, clean: check.clean, conflicts: check.conflicts, files, overlaps });
    }
    return result;
  }

  private changedFiles(mergeBase: string, tip: string): Promise<string[]> {
    const key = `${mergeBase}:${tip}`;
    let files = this.changed.get(key);
    if (!files) {
      files = diffNames({ git: this.ctx.git, cwd: this.ctx.repo.commonDir }, mergeBase, tip);
      this.changed.set(key, forget(this.changed, key, files));
    }
    return files;
  }
}

/** A failed computation is not cached: the next refresh tries again. */
function forget<T>(cache: Map<string, Promise<T>>, key: string, promise: Promise<T>): Promise<T> {
  promise.catch(() => cache.delete(key));
  return promise;
}
