/**
 * The shapes a command's argument takes, read here and nowhere else: a tree
 * node (`{ type: 'worktree' | 'planFile' | … }`), a Uri (the explorer, a
 * CodeLens), a plan (`"189"`, `{ plan: "189" }`, `{ plan: "189", run: 2 }`, a
 * plan's source control), a
 * program's options object, and its `force` flag. An object that is neither a
 * tree node nor a Uri comes from a program (another extension, an agent, the
 * API): it is asked nothing and gets its errors thrown back.
 */
import * as vscode from 'vscode';
import { PlanRecord } from '../../model/engine/types';
import { planIdOfSourceControl, planRunOfSourceControl } from '../scm';

/** Whether a program called the command: an object that is neither a tree node nor a Uri. */
export function isProgram(args: unknown): boolean {
  return !!args && typeof args === 'object' && !('type' in args) && !(args instanceof vscode.Uri);
}

/** The fields of an options object (a program's or a tree node's); `{}` for anything else. */
export function optionsOf<T extends object>(args: unknown): Partial<T> {
  return (args && typeof args === 'object' ? args : {}) as Partial<T>;
}

/** `force: true` in the arguments: a destructive command skips its confirmation. */
export function isForced(args: unknown): boolean {
  return !!optionsOf<{ force: boolean }>(args).force;
}

/** The tree node of this type the command was run on, if it was. */
export function treeNodeOf<T extends { type: string }>(args: unknown, type: T['type']): T | undefined {
  return args && typeof args === 'object' && (args as { type?: unknown }).type === type ? (args as T) : undefined;
}

/** The id a command argument names, if any. */
export function planIdOf(args: unknown): string | undefined {
  if (typeof args === 'string' || typeof args === 'number') return String(args);
  // A plan's source control (the Source Control view's title actions get it).
  const fromSourceControl = planIdOfSourceControl(args);
  if (fromSourceControl !== undefined) return fromSourceControl;
  if (args && typeof args === 'object') {
    const a = args as { plan?: unknown; id?: unknown; item?: { plan?: PlanRecord } };
    if (typeof a.plan === 'string' || typeof a.plan === 'number') return String(a.plan);
    if (a.plan && typeof a.plan === 'object' && 'id' in a.plan) return String((a.plan as PlanRecord).id);
    if (a.item?.plan) return a.item.plan.id;
    if (typeof a.id === 'string' || typeof a.id === 'number') return String(a.id);
  }
  return undefined;
}

/**
 * The run a command argument names, if any: `run` beside the plan
 * (`{ plan: "189", run: 2 }`), or the run of the plan record or tree node it
 * was given. Undefined when only an id is named (the id's default run).
 */
export function planRunOf(args: unknown): number | undefined {
  if (!args || typeof args !== 'object') return undefined;
  const fromSourceControl = planRunOfSourceControl(args);
  if (fromSourceControl !== undefined) return fromSourceControl;
  const a = args as { plan?: unknown; run?: unknown; item?: { plan?: PlanRecord } };
  if (typeof a.run === 'number' || (typeof a.run === 'string' && /^\d+$/.test(a.run))) return Number(a.run);
  if (a.plan && typeof a.plan === 'object' && typeof (a.plan as PlanRecord).run === 'number') {
    return (a.plan as PlanRecord).run;
  }
  if (typeof a.item?.plan?.run === 'number') return a.item.plan.run;
  return undefined;
}

/**
 * The argument that names one run of a plan as a person's click does (the
 * command asks what it asks a person, and acts on that run even when a newer
 * run of the plan starts later): a node `{ type: 'planRun', plan, run }`.
 */
export function runArgument(plan: { id: string; run: number }): { type: 'planRun'; plan: string; run: number } {
  return { type: 'planRun', plan: plan.id, run: plan.run };
}
