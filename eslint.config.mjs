// ESLint flat config: @eslint/js recommended for every JS file, typescript-eslint's recommended
// set for TypeScript. Generated and third-party code is ignored. `npm run lint` = eslint src test scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Node's globals, listed here rather than pulling in the `globals` package for a dozen names.
const node = Object.fromEntries([
  'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'AbortController', 'AbortSignal',
  'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
  'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'globalThis', 'performance',
].map((n) => [n, 'readonly']));
const commonjs = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', '**/*.d.ts', 'test-results/**', 'bench/results/**', '.vscode-test/**',
      // Fixtures are data (programs in many styles for the parsers, captured /proc files), not our
      // code; the test debug adapters extension is code, so it stays linted.
      'test/fixtures/*', '!test/fixtures/debuggers/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: node },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring to drop a field, fixed signatures).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `import X = require('m')` is TypeScript's typed import for CommonJS modules (web-tree-sitter).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // A named alias of `this` for object-literal callbacks (VS Code provider objects) is clear enough.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self', 'tracker'] }],
    },
  },
  {
    // CommonJS (the test debug adapters extension, mocha reporters): require() is how it imports.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...node, ...commonjs } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
