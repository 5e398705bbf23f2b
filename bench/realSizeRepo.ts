/**
 * The real-size synthetic repository: 50,000 tracked files in a deep tree
 * (25 packages, 8 path components down), four large files of 5 MB, a short
 * history, and an ignored `node_modules` of 20,000 files in the main
 * checkout. It is written in one `git fast-import` stream (no `git add` of
 * 50,000 files) and checked out once with `git reset --hard`; setup is not
 * measured. Plans are then added with `growPlans` (syntheticRepo.ts), as for
 * the small repository.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PlainGit } from './plainGit';
import { SyntheticRepo } from './syntheticRepo';

export const REAL_FILE_COUNT = 50_000;
export const REAL_NODE_MODULES_FILES = 20_000;
const PACKAGES = 25;
const LARGE_FILES = 4;
const LARGE_FILE_BYTES = 5 * 1024 * 1024;
/** README.md, .gitignore and the large files are tracked too. */
const SMALL_FILES = REAL_FILE_COUNT - LARGE_FILES - 2;
const HISTORY_COMMITS = 5;

const setupGit = new PlainGit(2);

/** The `index`-th small tracked file: `packages/pkgP/src/dA/eB/fC/gD/fileE.ts`, 5 files per leaf folder. */
export function realTrackedFile(index: number): string {
  const i = index % SMALL_FILES;
  const p = i % PACKAGES;
  const j = Math.floor(i / PACKAGES);
  return path.join(
    'packages',
    `pkg${String(p).padStart(2, '0')}`,
    'src',
    `d${j % 5}`,
    `e${Math.floor(j / 5) % 5}`,
    `f${Math.floor(j / 25) % 4}`,
    `g${Math.floor(j / 100) % 4}`,
    `file${Math.floor(j / 400)}.ts`,
  );
}

function smallText(index: number, version = 0): string {
  const lines = [`// file ${index}, version ${version}`];
  for (let k = 0; k < 12; k++) lines.push(`export const value${k} = ${(index * 10 + k) * (version + 1)};`);
  return lines.join('\n') + '\n';
}

/** Creates `<root>/repo` (branch `main`) with REAL_FILE_COUNT tracked files and the ignored node_modules. */
export async function createRealSizeRepo(root: string): Promise<SyntheticRepo> {
  const main = path.join(root, 'repo');
  fs.mkdirSync(main, { recursive: true });
  const git = (...args: string[]) => setupGit.out(main, ...args);
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.name', 'Bench');
  await git('config', 'user.email', 'bench@example.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await fastImport(main, historyStream());
  await git('reset', '-q', '--hard');
  fs.writeFileSync(path.join(main, '.env'), 'API_URL=http://localhost:3000\n');
  writeNodeModules(path.join(main, 'node_modules'));
  const commonDir = (await git('rev-parse', '--path-format=absolute', '--git-common-dir')).trim();
  return {
    root,
    main,
    commonDir,
    plansDir: path.join(root, 'repo.plans'),
    plans: [],
    trackedFile: realTrackedFile,
    files: REAL_FILE_COUNT,
  };
}

/** The whole history as one fast-import stream: the initial commit with every file, then a few small commits. */
function* historyStream(): Generator<Buffer | string> {
  let time = 1_700_000_000;
  const header = (message: string) => {
    const who = `Bench <bench@example.invalid> ${time++} +0000`;
    return `commit refs/heads/main\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}\n`;
  };
  const file = (name: string, content: Buffer | string) => {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    return [`M 100644 inline ${name}\ndata ${data.length}\n`, data, '\n'];
  };
  yield header('Initial commit');
  yield* file('README.md', '# Real-size synthetic repository for the Plan Worktrees benchmarks\n');
  yield* file('.gitignore', '.env\nnode_modules/\n');
  for (let k = 0; k < LARGE_FILES; k++) {
    // Incompressible, like the images and archives a real repository keeps.
    yield* file(`assets/large-${k}.bin`, pseudoRandomBytes(k, LARGE_FILE_BYTES));
  }
  for (let i = 0; i < SMALL_FILES; i++) yield* file(realTrackedFile(i), smallText(i));
  for (let c = 1; c <= HISTORY_COMMITS; c++) {
    yield header(`History commit ${c}`);
    for (let k = 0; k < 10; k++) yield* file(realTrackedFile(c * 997 + k), smallText(c * 997 + k, c));
  }
}

function pseudoRandomBytes(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = crypto.createHash('sha256').update(`large-${seed}`).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

function fastImport(cwd: string, stream: Iterable<Buffer | string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import failed with ${code}: ${stderr}`)),
    );
    const it = stream[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const next = it.next();
        if (next.done) return child.stdin.end();
        if (!child.stdin.write(next.value)) return child.stdin.once('drain', pump);
      }
    };
    child.stdin.on('error', reject);
    pump();
  });
}

/** REAL_NODE_MODULES_FILES files in 1,000 packages (`node_modules/<pkg>/lib/...`), some with nested node_modules. */
function writeNodeModules(folder: string): void {
  const packages = 1000;
  const perPackage = REAL_NODE_MODULES_FILES / packages;
  for (let p = 0; p < packages; p++) {
    const pkg = path.join(folder, `dep-${p}`);
    for (let f = 0; f < perPackage; f++) {
      const sub =
        f === 0 ? '' : p % 10 === 0 && f >= perPackage / 2 ? `node_modules/inner-${p}/lib` : `lib/part${f % 3}`;
      const dir = path.join(pkg, sub);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, f === 0 ? 'package.json' : `m${f}.js`), `module.exports = ${p * 100 + f};\n`);
    }
  }
}
