/**
 * What a plan file says: its `id`, `title` and `status`, read from a
 * Markdown file's YAML front matter (through the `yaml` library) or its first
 * heading, or from a JSON object's members, and validated like typed names.
 */
import type * as Yaml from 'yaml';
import type { CST, Document, Pair } from 'yaml';
import { ErrorCode, PlanError } from '../engine/errors';
import { ensureValid, validateId, validatePlanFile, validateTitle } from '../engine/names';
import { findPlanFiles, PlanFileFormat, planFileFormat, readPlanFileText } from './find';

/** Statuses after which a plan file is finished: it is no longer offered to start. */
const FINISHED_STATUSES = new Set([
  'done',
  'completed',
  'complete',
  'closed',
  'cancelled',
  'canceled',
  'merged',
  'wontfix',
]);

/** What a plan file says. */
export interface PlanFile {
  /** Relative to the folder it was found in (the main worktree), `/`-separated: what `PlanRecord.planFile` records. */
  file: string;
  format: PlanFileFormat;
  /** From the file; undefined when the file has none (the plan then gets the next free number). */
  id?: string;
  title?: string;
  status?: string;
  /** Why the file cannot be started (a bad id or title, broken JSON, no title); undefined when it can. */
  problem?: string;
}

/** Whether a finished status (`done`, `closed`, `cancelled`...) is written in the file. */
export function isFinishedStatus(status: string | undefined): boolean {
  return (
    status !== undefined &&
    FINISHED_STATUSES.has(
      status
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_'),
    )
  );
}

/**
 * Reads a plan file's text. Never throws: what is wrong with the file is its
 * `problem`. `file` is the path relative to the main worktree.
 */
export function parsePlanFile(file: string, text: string): PlanFile {
  const format = planFileFormat(file) ?? 'markdown';
  const fields = format === 'json' ? jsonFields(text) : markdownFields(text);
  const result: PlanFile = { file, format };
  if (typeof fields === 'string') return { ...result, problem: `${file}: ${fields}` };
  const { id, title, status } = fields;
  if (status !== undefined) result.status = status;
  if (id !== undefined) result.id = id;
  if (title !== undefined) result.title = title.trim();
  const problem =
    fields.problem ??
    (id !== undefined ? validateId(id) : undefined) ??
    (title === undefined
      ? format === 'json'
        ? 'it has no "title".'
        : 'it has no title (a "title" in the front matter, or a heading).'
      : validateTitle(title.trim()));
  if (problem) result.problem = `${file}: ${problem}`;
  return result;
}

/** Reads one plan file (relative to `root`); what is wrong with it is its `problem`. */
export async function readPlanFile(root: string, file: string): Promise<PlanFile> {
  const format = planFileFormat(file) ?? 'markdown';
  const bad = validatePlanFile(file);
  if (bad) return { file, format, problem: bad };
  try {
    return parsePlanFile(file, await readPlanFileText(root, file));
  } catch (e) {
    return { file, format, problem: `${file}: ${(e as Error).message}` };
  }
}

/** Finds and reads every plan file under `root`. */
export async function loadPlanFiles(root: string, patterns: readonly string[]): Promise<PlanFile[]> {
  const files = await findPlanFiles(root, patterns);
  return Promise.all(files.map((file) => readPlanFile(root, file)));
}

/** The plan a file starts: its id (if any) and title, validated. Throws `InvalidName` with the file's problem. */
export function planFromFile(planFile: PlanFile): { id?: string; title: string; planFile: string } {
  if (planFile.problem !== undefined || planFile.title === undefined) {
    throw new PlanError(ErrorCode.InvalidName, {
      reason: 'notStartable',
      file: planFile.file,
      problem: planFile.problem,
    });
  }
  return {
    id: planFile.id === undefined ? undefined : ensureValid(planFile.id, validateId),
    title: ensureValid(planFile.title, validateTitle),
    planFile: ensureValid(planFile.file, validatePlanFile),
  };
}

// ---------------------------------------------------------------- Markdown

interface Fields {
  id?: string;
  title?: string;
  status?: string;
  problem?: string;
}

function markdownFields(text: string): Fields | string {
  const front = findFrontMatter(text);
  const fields: Fields = {};
  if (front) {
    if (front.problem !== undefined) return front.problem;
    for (const key of ['id', 'title', 'status'] as const) {
      const pairs = frontMatterPairs(front, key);
      if (pairs.length > 1) fields.problem ??= `"${key}" appears ${pairs.length} times in the front matter.`;
      const pair = pairs[0];
      if (!pair) continue;
      const value = fieldValue(pair.value, front.yaml);
      if (typeof value === 'object') {
        fields.problem ??= `"${key}" in the front matter must be one line of text (${value.problem}).`;
      } else if (value !== undefined) fields[key] = value;
    }
  }
  if (fields.title === undefined) {
    const heading = firstHeading(text.slice(front ? front.bodyStart : 0));
    if (heading !== undefined) fields.title = heading;
  }
  return fields;
}

/** The text of the first ATX heading (`# Title`, any level) outside code fences. */
function firstHeading(body: string): string | undefined {
  let fence: string | undefined;
  for (const line of body.split(/\r\n|\n|\r/)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (!fence) fence = fenceMatch[1][0];
      else if (fenceMatch[1][0] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading && heading[1].trim() !== '') return heading[1].trim();
  }
  return undefined;
}

// ---------------------------------------------------------------- front matter

let loadedYaml: typeof Yaml | undefined;

/**
 * The yaml library, loaded when the first front matter is read: a window
 * whose repository has no Markdown plan file never loads it (it is a quarter
 * of the bundle, and several milliseconds of start-up).
 */
export function yamlLibrary(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedYaml ??= require('yaml') as typeof Yaml);
}

/**
 * Front matter larger than this is not parsed. People write a few lines; the
 * YAML parser's time grows faster than the text on hostile input (deep
 * nesting, thousands of keys), and the Plans view reads every plan file.
 */
export const MAX_FRONT_MATTER_BYTES = 16 * 1024;

/**
 * Front matter nested deeper than this is not composed: the YAML composer
 * recurses once per level, and near the end of the stack V8 can abort the
 * whole process (the extension host) instead of throwing.
 */
export const MAX_FRONT_MATTER_DEPTH = 32;

/**
 * A Markdown file's front matter: where it is in the text, and its YAML
 * document, or why it cannot be read.
 */
export type FrontMatter = {
  /** Where the YAML between the fences starts in the text; node ranges of `document` count from here. */
  start: number;
  /** Where the closing fence line starts (the YAML ends here). */
  end: number;
  /** Where the text after the closing fence starts. */
  bodyStart: number;
  /** The line ending the opening fence uses. */
  eol: string;
  /** The YAML text the document was parsed from: the text between the fences, each lone CR read as a line feed. */
  yaml: string;
} & (
  | { document: Document.Parsed; problem?: undefined }
  | {
      document?: undefined;
      /** Why the front matter cannot be read: not valid YAML (with the line of the file), too large, nested too deep. */
      problem: string;
    }
);

/**
 * The YAML front matter: `---` on the first line (after a byte order mark),
 * up to a line `---` or `...`; undefined when the text has none. Parsed as a
 * YAML document with duplicate keys kept (they are reported by name, not
 * resolved); node ranges map back to the text by adding `start`.
 */
export function findFrontMatter(text: string): FrontMatter | undefined {
  const bom = text.startsWith('\uFEFF') ? 1 : 0;
  const open = /^---[ \t]*(\r\n|\n|\r)/.exec(text.slice(bom));
  if (!open) return undefined;
  const start = bom + open[0].length;
  const lineBreak = /\r\n|\n|\r/g;
  for (let offset = start; offset <= text.length;) {
    lineBreak.lastIndex = offset;
    const found = lineBreak.exec(text);
    const lineEnd = found ? found.index : text.length;
    if (/^(---|\.\.\.)[ \t]*$/.test(text.slice(offset, lineEnd))) {
      // A lone CR ends a line here but not for YAML; a line feed in its place keeps every offset.
      const yaml = text.slice(start, offset).replace(/\r(?!\n)/g, '\n');
      const place = {
        start,
        end: offset,
        bodyStart: found ? lineEnd + found[0].length : text.length,
        eol: open[1],
        yaml,
      };
      return { ...place, ...readYaml(yaml, (at) => text.slice(0, start + at).split(/\r\n|\n|\r/).length) };
    }
    if (!found) break;
    offset = lineEnd + found[0].length;
  }
  return undefined;
}

/** The YAML document of a front matter, or why it cannot be read; `lineAt` gives the file's line of an offset. */
function readYaml(
  yaml: string,
  lineAt: (offset: number) => number,
): { document: Document.Parsed } | { problem: string } {
  const bytes = Buffer.byteLength(yaml, 'utf8');
  if (bytes > MAX_FRONT_MATTER_BYTES) {
    return { problem: `the front matter is ${bytes} bytes long; at most ${MAX_FRONT_MATTER_BYTES} are read.` };
  }
  // The parser keeps its own stack; only the composer after it recurses.
  const { Composer, Parser } = yamlLibrary();
  const tokens = Array.from(new Parser().parse(yaml));
  if (nestedDeeperThan(tokens, MAX_FRONT_MATTER_DEPTH)) {
    return { problem: `the front matter nests deeper than ${MAX_FRONT_MATTER_DEPTH} levels.` };
  }
  const [document, another] = new Composer({ uniqueKeys: false }).compose(tokens, true, yaml.length);
  const error = document.errors[0];
  if (!error && !another) return { document };
  const [at, reason] = error
    ? [error.pos[0], error.message.split(/ at line \d+/)[0]]
    : [another.range[0], 'a second document starts here'];
  return { problem: `the front matter is not valid YAML (line ${lineAt(at)}: ${reason}).` };
}

/** Whether collections in the parsed YAML nest deeper than `limit`; walked with a list, not by recursion. */
function nestedDeeperThan(tokens: CST.Token[], limit: number): boolean {
  const pending: Array<[CST.Token | null | undefined, number]> = tokens.map((token) => [token, 0]);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [token, depth] = next;
    if (depth > limit) return true;
    if (token?.type === 'document') pending.push([token.value, depth]);
    else if (token?.type === 'block-map' || token?.type === 'block-seq' || token?.type === 'flow-collection') {
      for (const item of token.items) pending.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return false;
}

/** The front matter's top-level `key: value` pairs with this key (more than one when the file repeats it). */
export function frontMatterPairs(front: FrontMatter, key: string): Pair[] {
  const { isMap, isScalar } = yamlLibrary();
  const contents = front.document?.contents;
  if (!isMap(contents)) return [];
  return contents.items.filter((pair) => isScalar(pair.key) && pair.key.value === key);
}

/**
 * A front-matter value as one line of text: a quoted or plain scalar, a
 * plain number or boolean as written (`id: 007` is "007"); undefined when
 * empty or null. `{ problem }` for a block scalar, a list, a mapping, an
 * alias, or a value of another type.
 */
export function fieldValue(node: unknown, yaml: string): string | undefined | { problem: string } {
  if (node === null || node === undefined) return undefined;
  const { isScalar } = yamlLibrary();
  if (isScalar(node) && node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') {
    const value = node.value;
    if (value === null || value === undefined || value === '') return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return node.source ?? String(value);
    }
    return { problem: `a value tagged "${node.tag ?? typeof value}"` };
  }
  const at = (node as { range?: [number, number, number] | null }).range?.[0];
  return { problem: `a value starting with "${at === undefined ? '?' : yaml[at]}"` };
}

// ---------------------------------------------------------------- JSON

function jsonFields(text: string): Fields | string {
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (e) {
    return `it is not valid JSON (${(e as Error).message}).`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'it is not a JSON object with "id" and "title".';
  }
  const object = value as Record<string, unknown>;
  const fields: Fields = {};
  for (const key of ['id', 'title', 'status'] as const) {
    const member = object[key];
    if (member === undefined || member === null) continue;
    if (typeof member === 'string') fields[key] = member;
    else if (typeof member === 'number' && key !== 'title' && Number.isFinite(member)) fields[key] = String(member);
    else fields.problem ??= `"${key}" must be ${key === 'title' ? 'a string' : 'a string or a number'}.`;
  }
  return fields;
}
