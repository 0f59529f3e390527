// The layer rule as an ESLint rule over resolved paths. A file's place is src/<layer>/<capability>/…;
// files directly under a layer (src/functions/index.ts, the composition roots) have no capability.
import path from 'node:path';

const LAYERS = ['functions', 'app', 'adapters', 'core'];
/** Which layers each layer may import (besides itself). */
const MAY_IMPORT = {
  functions: ['app', 'core'],
  app: ['core'],
  adapters: ['core'],
  core: [],
};
/** The composition roots: they build adapters and may reach every layer. */
const ROOTS = ['src/app/composition.ts', 'src/functions/registrations.ts'];
/** Deep imports allowed on purpose: the entry's first import must not load the app's face. */
const DEEP = { 'src/functions/telemetry-start.ts': ['src/app/platform/telemetry'] };

function place(file, srcDir) {
  const parts = path.relative(srcDir, file).split(path.sep);
  if (parts[0] === '..' || !LAYERS.includes(parts[0])) return undefined;
  return { layer: parts[0], capability: parts.length > 2 ? parts[1] : undefined, parts };
}

export const layerImports = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layers and enter another capability through its index.ts' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const srcDir = path.join(context.cwd, 'src');
    const from = place(file, srcDir);
    if (!from) return {};
    const rel = path.relative(context.cwd, file).split(path.sep).join('/');
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), spec);
      const to = place(target, srcDir);
      if (!to) {
        if (path.relative(srcDir, target).startsWith('..'))
          context.report({ node, message: `src imports nothing outside src ('${spec}').` });
        return;
      }
      if (to.layer !== from.layer && !ROOTS.includes(rel) && !MAY_IMPORT[from.layer].includes(to.layer)) {
        context.report({
          node,
          message: `src/${from.layer} may not import src/${to.layer} ('${spec}'): ${from.layer === 'core' ? 'core is pure' : `${from.layer} sees ${MAY_IMPORT[from.layer].join(' and ') || 'nothing else'}`}.`,
        });
        return;
      }
      const sameCapability = to.layer === from.layer && to.capability === from.capability;
      if (sameCapability || !to.capability) return;
      const targetRel = path.relative(context.cwd, target).split(path.sep).join('/');
      if ((DEEP[rel] ?? []).includes(targetRel)) return;
      // The browser client shares the API's shapes by type only (erased from the bundle); a face would
      // drag server modules into its DOM-only type check.
      if (rel.startsWith('src/functions/status/client/') && node.importKind === 'type') return;
      const face = to.parts.length === 2 || (to.parts.length === 3 && to.parts[2] === 'index');
      if (!face) {
        context.report({
          node,
          message: `'${spec}' reaches inside src/${to.layer}/${to.capability}: import its face (src/${to.layer}/${to.capability}/index.ts).`,
        });
      }
    };
    return {
      ImportDeclaration: check,
      ExportAllDeclaration: check,
      ExportNamedDeclaration: check,
      ImportExpression: check,
    };
  },
};
