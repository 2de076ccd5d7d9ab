// Lint keeps the architecture honest: imports point down the stack (DESIGN.md), never in a cycle.
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

const layer = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/__generated__/**', 'coverage/**', '.data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } }, 'import/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'import/no-cycle': ['error', { ignoreExternal: true }],
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            layer('./src', './test', 'src/ never imports test code.'),
            layer('./src/config', './src/!(config)/**', 'config imports nothing from src.'),
            layer('./src/errors', './src/!(config|errors)/**', 'errors sits below everything but config.'),
            layer('./src/db', './src/!(config|errors|db)/**', 'db sits below cache, loaders, events, session, modules, server.'),
            layer('./src/cache', './src/!(config|errors|db|redis|cache)/**', 'cache is generic: it knows schema coordinates and tags, not the storefront, sessions or the server.'),
            layer('./src/loaders', './src/modules', 'loaders are generic: they know nothing of the storefront.'),
            layer('./src/loaders', './src/server', 'loaders sit below server.'),
            layer('./src/events', './src/modules', 'events sit below modules.'),
            layer('./src/events', './src/server', 'events sit below server.'),
            layer('./src/session', './src/modules', 'session sits below modules.'),
            layer('./src/session', './src/server', 'session sits below server.'),
            layer('./src/modules', './src/server', 'modules sit below server.'),
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
