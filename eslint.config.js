import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'scratch/', 'dist-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off'
    }
  },
  {
    // No import cycles: a module that needs a piece of another imports that piece from a
    // file of its own (docs/architecture.md). Type-only imports count too, as they tie
    // the two modules' designs together just the same.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })]
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] }
  },
  {
    // No module-level mutable state in the gateway: what changes belongs to the gateway
    // object and goes with it (docs/architecture.md). A module may hold constants only;
    // a constant Map or Set says so in its type (ReadonlyMap, ReadonlySet). WeakMaps and
    // WeakSets keyed by a gateway's own objects are allowed: they hold nothing once those go.
    files: ['src/**/*.ts', 'plugins/**/*.ts', 'routes/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: 'Program > VariableDeclaration[kind!="const"], Program > ExportNamedDeclaration > VariableDeclaration[kind!="const"]',
          message: 'No module-level let/var: state belongs to the gateway object (docs/architecture.md).'
        },
        {
          selector: ':matches(Program, Program > ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator:not([id.typeAnnotation.typeAnnotation.typeName.name=/^Readonly/]) > NewExpression.init[callee.name=/^(Map|Set|LRUCache|Registry)$/]',
          message: 'No module-level Map, Set, cache or registry: state belongs to the gateway object (docs/architecture.md); a constant table is typed ReadonlyMap/ReadonlySet.'
        }
      ]
    }
  }
)
