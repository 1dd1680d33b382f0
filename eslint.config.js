import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.cache/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests poke at JSON response bodies; typing every one adds noise, not safety.
    files: ['tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Domain code must stay free of the Functions programming model (DESIGN.md "Layout").
    files: ['src/github/**', 'src/sync/**', 'src/workspace/**', 'src/jobs/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['@azure/functions'] }] },
  },
);
