import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'src/git and src/model never import vscode.' };
const simpleGitOnlyInRunner = {
  name: 'simple-git',
  message: 'Only src/git/gitProcess.ts uses simple-git (the runner and the helper process ask it).',
};

/** Calls such as `ctx.git.run([...])` with an argument list, any call of the runner, and any reading of `.stderr`. */
const rawGitSyntax = [
  {
    selector: "CallExpression[callee.object.property.name='git'][callee.property.name=/^(exec|run|execBuffer)$/]",
    message: 'Run git through a command function of src/git/commands, not the runner, in src/model.',
  },
  {
    selector: "CallExpression[callee.property.name=/^(exec|run|execBuffer)$/][arguments.0.type='ArrayExpression']",
    message: 'Build git argument lists in a command function of src/git/commands, not in src/model.',
  },
  {
    selector: "MemberExpression[property.name='stderr']",
    message: "Git's stderr is classified by its command (src/git/commands, reasons.ts), never read in src/model.",
  },
];

/** Where the rule above holds: the whole model. */
const modelFilesWithoutRawGit = ['src/model/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
    },
  },
  {
    // simple-git is an implementation detail of the runner (which starts a process through gitProcess.ts): everything else asks src/git/commands.
    files: ['**/*.ts'],
    ignores: ['src/git/gitProcess.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [simpleGitOnlyInRunner] }] },
  },
  {
    files: ['src/git/**/*.ts'],
    ignores: ['src/git/gitProcess.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, simpleGitOnlyInRunner] }] },
  },
  {
    files: ['src/git/gitProcess.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    // The model reaches git through src/git/commands only (and reads errors, the parsers and the logger type).
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, simpleGitOnlyInRunner],
          patterns: [
            {
              group: [
                '**/git/*',
                '!**/git/commands',
                '!**/git/errors',
                '!**/git/status',
                '!**/git/worktreeList',
                '!**/git/log',
                '!**/git/operation',
                '!**/git/worktreeFiles',
                '!**/git/indexFile',
              ],
              message:
                'src/model runs git only through src/git/commands (errors, parsers, operation, worktreeFiles and indexFile may be imported; never the runner).',
            },
          ],
        },
      ],
    },
  },
  {
    // No model file builds a git argument list or reads git's stderr: a command function in src/git/commands does.
    files: modelFilesWithoutRawGit,
    rules: { 'no-restricted-syntax': ['error', ...rawGitSyntax] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
