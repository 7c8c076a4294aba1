import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

const sharedByAlias = {
  group: ['**/shared/**'],
  message: 'Import src/shared as \'#shared/…\' (package.json "imports"), not by a relative path.',
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig } },
  },
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly' },
    },
    rules: {
      // TypeScript already resolves every name; no-undef only misreads DOM and Node types.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The layers: the renderer and preload reach the engine only through the contract in
  // src/shared; src/shared is imported by every side and imports none (docs/extending.md).
  // Every side names src/shared by one alias, #shared/… (package.json "imports"), so a
  // file's import does not change with its depth and Node, tsx, vite and tsc all read it.
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.svelte', 'src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**'],
              message:
                'The renderer and preload import only src/shared (the API contract), never the engine in src/main.',
            },
            sharedByAlias,
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [sharedByAlias] }] },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'src/shared is imported by every side and imports none of them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/store/database.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message:
            'Use writeTransaction (store/database.ts): a deferred transaction fails with SQLITE_BUSY when another process writes.',
        },
      ],
    },
  },
);
