// Type-aware linting: floating promises are bugs in Functions (the host may freeze the
// instance once the handler returns), so they are errors here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerImports } from './dev/lint/layer-imports.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '**/*.mjs',
      '**/*.mts',
      'src/functions/status/client.bundle.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  // The layer rule (docs/layout.md "Import rules"), by where an import resolves, not by how its
  // path is spelled, so no subfolder can switch it off: core is pure, adapters implement its ports,
  // app holds the use cases, functions are thin triggers; only the composition roots
  // (src/app/composition.ts, src/functions/registrations.ts) wire adapters in; and an import from
  // another capability goes through that capability's index.ts.
  {
    files: ['src/**/*.ts'],
    plugins: { layers: { rules: { imports: layerImports } } },
    rules: { 'layers/imports': 'error' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*'],
              message: 'src/core is pure: no Azure SDK (use a port in core/model/ports.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'dev/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
