/**
 * The status words a plan file already uses. The status binding never writes
 * a word of its own: the word for "started" or "finished" is one the file
 * itself uses (its `status`, or a `status` nested elsewhere in it, such as a
 * subtask's), else the word of the known convention those words belong to
 * (`pending → in_progress → completed` of task JSON, `todo → in_progress →
 * done` of Markdown plans, `pending → in-progress → done`, `Todo → In
 * Progress → Done`...), written in the file's case.
 */
import type { Node as JsonNode } from 'jsonc-parser';
import type { PlanFileFormat } from './find';

/** A step of a plan that the binding writes a status for. */
export type StatusRole = 'started' | 'finished';

/** A convention: the words of its steps, lower-case; `pending` lists the words a task has before it starts. */
interface Vocabulary {
  pending: readonly string[];
  started: string;
  finished: string;
}

/** Task JSON (Claude Code's task lists and the task boards that copy them): the default of a JSON file. */
const TASK_JSON: Vocabulary = { pending: ['pending'], started: 'in_progress', finished: 'completed' };
/** Markdown plans: the default of a Markdown file. */
const MARKDOWN: Vocabulary = {
  pending: ['todo', 'to_do', 'open', 'new', 'draft', 'proposed', 'planned', 'backlog', 'not_started'],
  started: 'in_progress',
  finished: 'done',
};
/** Task Master's `tasks.json`. */
const HYPHENATED: Vocabulary = { pending: ['pending', 'deferred', 'review'], started: 'in-progress', finished: 'done' };
/** Boards with spaced, capitalised columns (GitHub Projects, Linear, Jira). */
const BOARD: Vocabulary = { pending: ['todo', 'to do', 'backlog'], started: 'in progress', finished: 'done' };
/** Kanban lists. */
const KANBAN: Vocabulary = { pending: ['todo', 'to do', 'backlog'], started: 'doing', finished: 'done' };
/** Issue trackers. */
const TRACKER: Vocabulary = { pending: ['open', 'new'], started: 'in_progress', finished: 'closed' };

const OTHERS = [HYPHENATED, BOARD, KANBAN, TRACKER];

/** Words that mean a role whichever convention they come from: a file that uses one gets it back as written. */
const ROLE_WORDS: Record<StatusRole, ReadonlySet<string>> = {
  started: new Set(['in_progress', 'in-progress', 'in progress', 'inprogress', 'doing', 'active', 'started', 'wip']),
  finished: new Set(['done', 'completed', 'complete', 'finished', 'closed', 'resolved', 'merged']),
};

/** Every word of a convention, lower case: only these tell the case the file writes its words in. */
const KNOWN_WORDS: ReadonlySet<string> = new Set([
  ...[TASK_JSON, MARKDOWN, ...OTHERS].flatMap((v) => [...v.pending, v.started, v.finished]),
  ...ROLE_WORDS.started,
  ...ROLE_WORDS.finished,
]);

/**
 * The word for `role` in a plan file whose status words are `words` (the
 * file's own `status` first, then the others in it, as written): the first
 * of them that means the role, as written; else the role's word of the
 * first convention every known word of the file belongs to (the format's
 * own first), in the case the file writes its words in (`Done`, `DONE`).
 */
export function statusWordFor(role: StatusRole, words: readonly string[], format: PlanFileFormat): string {
  const own = words.find((w) => ROLE_WORDS[role].has(w.trim().toLowerCase()));
  if (own !== undefined) return own.trim();
  // Capitalised words (`Todo`, `In Progress`) are a board's: its spaced words first.
  const conventions = [
    ...(caseOf(words) === 'title' ? [BOARD] : []),
    ...(format === 'json' ? [TASK_JSON, MARKDOWN] : [MARKDOWN, TASK_JSON]),
    ...OTHERS,
  ];
  const lower = words.map((w) => w.trim().toLowerCase());
  const fits = (v: Vocabulary): boolean =>
    lower.every((w) =>
      ROLE_WORDS.started.has(w) ? w === v.started : ROLE_WORDS.finished.has(w) ? w === v.finished : true,
    ) && lower.some((w) => v.pending.includes(w) || w === v.started || w === v.finished);
  const convention = conventions.find(fits) ?? conventions[0];
  return inCaseOf(convention[role], words);
}

/** `word` (lower case) in the case the file's words are written in: all capitals, capitalised words, or as it is. */
function inCaseOf(word: string, words: readonly string[]): string {
  const letterCase = caseOf(words);
  if (letterCase === 'upper') return word.toUpperCase();
  if (letterCase === 'title') {
    return word.replace(/(^|[ _-])([a-z])/g, (_, sep: string, letter: string) => sep + letter.toUpperCase());
  }
  return word;
}

/** How the file's known status words are written: all capitals, capitalised words, or otherwise (lower case). */
function caseOf(words: readonly string[]): 'upper' | 'title' | 'other' {
  const known = words.map((w) => w.trim()).filter((w) => KNOWN_WORDS.has(w.toLowerCase()));
  if (known.length === 0) return 'other';
  if (known.every((w) => w === w.toUpperCase())) return 'upper';
  if (known.every((w) => /^[A-Z][a-z]*(?:[ _-][A-Z][a-z]*)*$/.test(w))) return 'title';
  return 'other';
}

/** The `status` string values of a JSON document: the top-level one first, then the nested ones in order. */
export function jsonStatusWords(root: JsonNode): string[] {
  const top: string[] = [];
  const nested: string[] = [];
  const pending: Array<[JsonNode, number]> = [[root, 0]];
  // Walked with a list, not by recursion; the depth only tells the top level apart.
  while (pending.length > 0) {
    const [node, depth] = pending.shift()!;
    if (node.type === 'property') {
      const [key, value] = node.children ?? [];
      if (key?.value === 'status' && value?.type === 'string' && typeof value.value === 'string') {
        (depth === 1 ? top : nested).push(value.value);
      }
      if (value) pending.push([value, depth]);
    } else {
      for (const child of node.children ?? []) pending.push([child, depth + 1]);
    }
  }
  return [...top, ...nested];
}

/** The `status` string values of a parsed YAML value: the top-level one first, then the nested ones. */
export function yamlStatusWords(value: unknown): string[] {
  const top: string[] = [];
  const nested: string[] = [];
  const pending: Array<[unknown, boolean]> = [[value, true]];
  while (pending.length > 0) {
    const [node, isTop] = pending.shift()!;
    if (Array.isArray(node)) {
      for (const item of node) pending.push([item, false]);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
        if (key === 'status' && typeof child === 'string') (isTop ? top : nested).push(child);
        else pending.push([child, false]);
      }
    }
  }
  return [...top, ...nested];
}
