// ESLint rule: code that runs inside a Temporal workflow (src/workflows, and
// src/core which it imports) must stay deterministic and bundle without Node.
// It may import only src/core (workflows also their own folder) and the
// workflow-safe Temporal packages; Node built-ins and every other package or
// folder are refused, whatever the import's spelling.
import { builtinModules } from 'node:module';
import path from 'node:path';

const SRC = path.resolve('src');
const CORE = path.join(SRC, 'core');
const WORKFLOWS = path.join(SRC, 'workflows');
const PACKAGES = {
  core: new Set(['@temporalio/common', '@temporalio/workflow']),
  workflows: new Set(['@temporalio/common', '@temporalio/workflow']),
};
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const inside = (file, dir) => file === dir || file.startsWith(dir + path.sep);

function problem(file, spec) {
  const zone = inside(file, CORE) ? 'core' : inside(file, WORKFLOWS) ? 'workflows' : undefined;
  if (!zone) return undefined;
  if (BUILTINS.has(spec) || spec.startsWith('node:')) return `Node built-in "${spec}" cannot run in workflow code`;
  if (!spec.startsWith('.')) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    return PACKAGES[zone].has(pkg) ? undefined : `package "${spec}" is not workflow-safe; src/${zone} may import only ${[...PACKAGES[zone]].join(', ')}`;
  }
  const target = path.resolve(path.dirname(file), spec);
  if (inside(target, CORE)) return undefined;
  if (zone === 'workflows' && inside(target, WORKFLOWS)) return undefined;
  return `"${spec}" is outside src/core; src/${zone} may import only src/core${zone === 'workflows' ? ' and src/workflows' : ''}`;
}

export default {
  meta: { type: 'problem', schema: [], docs: { description: 'keep workflow code free of Node and non-core imports' } },
  create(context) {
    const file = path.resolve(context.filename);
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const message = problem(file, source.value);
      if (message) context.report({ node, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};
