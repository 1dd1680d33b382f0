import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Folders import downward only (DESIGN.md "Layout"), so no two folders import each other:
 * root helpers (config, errors, leases…) < github, secrets, git, telemetry < jobs < workspace, auth
 * < sync < functions; dev hosts the app without importing it. Each entry lists what a folder must
 * not import. Domain folders also never import the Functions programming model.
 */
const DOMAIN = ['github', 'secrets', 'git', 'jobs', 'workspace', 'auth', 'sync'];
const FORBIDDEN = {
  github: ['jobs', 'sync', 'workspace', 'functions', 'auth', 'dev', 'secrets', 'git'],
  secrets: ['jobs', 'sync', 'workspace', 'functions', 'auth', 'dev', 'github', 'git'],
  git: ['jobs', 'sync', 'workspace', 'functions', 'auth', 'dev', 'github', 'secrets'],
  telemetry: ['jobs', 'sync', 'workspace', 'functions', 'auth', 'dev'],
  jobs: ['sync', 'workspace', 'functions', 'auth', 'dev'],
  workspace: ['sync', 'functions', 'auth', 'dev'],
  auth: ['sync', 'workspace', 'functions', 'dev'],
  sync: ['functions', 'auth', 'dev'],
  dev: ['functions'],
};

function layerRule(folder) {
  const group = FORBIDDEN[folder].map((other) => `../${other}/*`);
  // The workspace may name the job types it shares (Connection, WorkspaceEvent), nothing else of jobs/.
  if (folder === 'workspace') group.splice(group.length, 0, '../jobs/*', '!../jobs/types.js');
  return {
    files: [`src/${folder}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: DOMAIN.includes(folder) ? ['@azure/functions'] : [],
          patterns: [
            { group, message: `src/${folder} must not import this folder (layers import downward only)` },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      '.cache/**',
      'bench/results/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
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
  ...Object.keys(FORBIDDEN).map(layerRule),
  {
    // Root helpers are the bottom layer; src/index.ts is the entry point that imports everything.
    files: ['src/*.ts'],
    ignores: ['src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./*/*'], message: 'root helpers import only other root helpers' }] },
      ],
    },
  },
);
