// The layer rule judges where an import lands, so a file moved into any subfolder stays under it:
// these nested bad imports are the ones the old pattern-based rule let through.
import { resolve } from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types, loaded by eslint.config.mjs too
import { layerImports } from '../../dev/lint/layer-imports.mjs';

const root = resolve(__dirname, '../..');

function problems(file: string, code: string): string[] {
  const linter = new Linter({ cwd: root, configType: 'flat' });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { layers: { rules: { imports: layerImports as never } } },
        rules: { 'layers/imports': 'error' },
      },
    ],
    { filename: resolve(root, file) },
  );
  return messages.map((m) => m.message);
}

describe('the layer rule', () => {
  it('when a nested core file imports an adapter, then lint fails', () => {
    expect(
      problems('src/core/rollout/states/x.ts', "import { sleep } from '../../../adapters/platform';\n"),
    ).toEqual([expect.stringContaining('src/core may not import src/adapters')]);
  });

  it('when a nested adapter imports the app, then lint fails', () => {
    expect(problems('src/adapters/tables/x.ts', "import { Logger } from '../../app/platform';\n")).toEqual([
      expect.stringContaining('src/adapters may not import src/app'),
    ]);
  });

  it('when a trigger imports an adapter, or a use case builds one, then lint fails', () => {
    expect(problems('src/functions/intake/x.ts', "export * from '../../adapters/tables';\n")).toHaveLength(1);
    expect(
      problems('src/app/rollout/x.ts', "const m = import('../../adapters/clusters');\nexport { m };\n"),
    ).toHaveLength(1);
  });

  it('when an import reaches inside another capability, then lint fails; through its face it passes', () => {
    expect(problems('src/app/rollout/x.ts', "import { fence } from '../../core/rollout/fence';\n")).toEqual([
      expect.stringContaining('import its face (src/core/rollout/index.ts)'),
    ]);
    expect(problems('src/app/rollout/x.ts', "import { fence } from '../../core/rollout';\n")).toEqual([]);
    expect(problems('src/app/rollout/x.ts', "import { plan } from '../intake/plan-release';\n")).toHaveLength(
      1,
    );
    expect(problems('src/app/rollout/x.ts', "import { run } from './reconcile-run';\n")).toEqual([]);
  });

  it('when the composition root builds adapters, then lint passes', () => {
    expect(problems('src/app/composition.ts', "import { tables } from '../adapters/tables';\n")).toEqual([]);
  });

  it('when ESLint reads the project config, then every file in src is under the rule, however deep', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const file of ['src/core/x.ts', 'src/core/a/b/c/x.ts', 'src/adapters/clusters/run-command/x.ts']) {
      const config = (await eslint.calculateConfigForFile(resolve(root, file))) as Linter.Config;
      expect(config.rules?.['layers/imports'], file).toEqual([2]);
    }
  });
});
