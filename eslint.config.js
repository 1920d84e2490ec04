// ESLint: typescript-eslint's type-checked recommended rules over every TypeScript
// file, with the type information of tsconfig.json. `npm run lint`; `npm test` runs it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'test-output/', 'load/reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // node:test's describe/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    // Plain JavaScript: k6 scripts, the browser pages and this file have no type information.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Pages served to browsers; the waiting room loads Socket.IO's client as a global.
    files: ['waiting-room/public/**/*.js', 'services/gateway/docs-page/**/*.js', 'services/concert/console/**/*.js'],
    languageOptions: { globals: { ...globals.browser, io: 'readonly' } },
  },
  {
    // k6 scripts run in k6's own JavaScript runtime, not Node.js.
    files: ['load/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
  },
);
