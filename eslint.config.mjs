// ESLint (flat config) with typescript-eslint's recommended rules; formatting is Prettier's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'caffets-demo/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The output is CommonJS: `require('x') as typeof import('x')` loads a module lazily, where it is
      // needed (CLI handlers, image codecs, database backends, the native addon), to keep start-up fast.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', 'bin/caffets'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
  },
);
