// The expression language of flow definitions: JSONPath-like paths over named
// roots ($Input, $Output, $Context for CloudFlow; $input, $local, $context for
// FDL), Choice conditions, and constructor values that call intrinsic
// functions (intrinsics.ts). A tokenizer and a recursive-descent parser, no
// eval: definitions come from users and run inside deterministic workflows.
import { callIntrinsic, intrinsicCallProblem, isFormat, type IntrinsicEnv } from './intrinsics';

/** Values a path may start from, keyed by root name without `$` ('' is the bare `$`). */
export type Scope = Record<string, unknown>;

export type PathSegment = string | number;
export interface PathRef {
  root: string;
  segments: PathSegment[];
}

type Node =
  | { kind: 'literal'; value: unknown; raw?: string }
  | { kind: 'path'; ref: PathRef }
  | { kind: 'list'; items: Node[] }
  | { kind: 'object'; entries: [string, Node][] }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'not'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string; raw: string }
  | { t: 'path'; v: PathRef }
  | { t: 'word'; v: string }
  | { t: 'op'; v: string };

export class ExpressionError extends Error {}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '{', '}', ':'];
/** Both CloudFlow and Step Functions allow at most 10 nested function calls in one expression. */
const MAX_CALL_DEPTH = 10;
const IDENT = /[A-Za-z0-9_-]/;

function readQuoted(src: string, start: number): { value: string; end: number } {
  const quote = src[start];
  let i = start + 1;
  let out = '';
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\' && i + 1 < src.length) i++;
    out += src[i++];
  }
  if (i >= src.length) throw new ExpressionError(`unterminated string at ${start}`);
  return { value: out, end: i + 1 };
}

/** Reads `$Root.a[0]['b c'].d` starting at `$`. */
function readPath(src: string, start: number): { ref: PathRef; end: number } {
  let i = start + 1;
  let root = '';
  while (i < src.length && IDENT.test(src[i])) root += src[i++];
  const segments: PathSegment[] = [];
  for (;;) {
    if (src[i] === '.' && i + 1 < src.length && IDENT.test(src[i + 1])) {
      let name = '';
      i++;
      while (i < src.length && IDENT.test(src[i])) name += src[i++];
      segments.push(name);
    } else if (src[i] === '[') {
      let j = i + 1;
      while (src[j] === ' ') j++;
      if (src[j] === "'" || src[j] === '"') {
        const q = readQuoted(src, j);
        segments.push(q.value);
        j = q.end;
      } else {
        const m = /^\d+/.exec(src.slice(j));
        if (!m) throw new ExpressionError(`bad index at ${i}`);
        segments.push(Number(m[0]));
        j += m[0].length;
      }
      while (src[j] === ' ') j++;
      if (src[j] !== ']') throw new ExpressionError(`missing ] at ${j}`);
      i = j + 1;
    } else break;
  }
  return { ref: { root, segments }, end: i };
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '$') {
      const p = readPath(src, i);
      tokens.push({ t: 'path', v: p.ref });
      i = p.end;
    } else if (c === '"' || c === "'") {
      const q = readQuoted(src, i);
      tokens.push({ t: 'str', v: q.value, raw: src.slice(i + 1, q.end - 1) });
      i = q.end;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i))!;
      tokens.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      // Dotted words name functions such as States.Format.
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i))!;
      tokens.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new ExpressionError(`unexpected "${c}" at ${i}`);
      tokens.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    if (this.pos < this.tokens.length) throw new ExpressionError(`unexpected token after expression: ${describe(this.tokens[this.pos])}`);
    return node;
  }

  private peekOp(...ops: string[]): boolean {
    const tok = this.tokens[this.pos];
    return tok !== undefined && ((tok.t === 'op' && ops.includes(tok.v)) || (tok.t === 'word' && ops.includes(tok.v)));
  }

  private expect(op: string): void {
    if (!this.peekOp(op)) throw new ExpressionError(`expected "${op}"`);
    this.pos++;
  }

  private or(): Node {
    let left = this.and();
    while (this.peekOp('||')) {
      this.pos++;
      left = { kind: 'binary', op: '||', left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.peekOp('&&')) {
      this.pos++;
      left = { kind: 'binary', op: '&&', left, right: this.not() };
    }
    return left;
  }

  private not(): Node {
    if (this.peekOp('!')) {
      this.pos++;
      return { kind: 'not', operand: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Node {
    const left = this.primary();
    if (this.peekOp('==', '!=', '<', '<=', '>', '>=', 'in')) {
      const op = (this.tokens[this.pos++] as { v: string }).v;
      return { kind: 'binary', op, left, right: this.primary() };
    }
    return left;
  }

  /** name(arg, ...): the function must exist and take that many arguments, so `flow validate` sees bad calls. */
  private call(name: string): Node {
    this.expect('(');
    if (++this.depth > MAX_CALL_DEPTH) throw new ExpressionError(`more than ${MAX_CALL_DEPTH} nested function calls`);
    const args = this.items(')');
    this.depth--;
    const problem = intrinsicCallProblem(name, args.length);
    if (problem) throw new ExpressionError(problem);
    return { kind: 'call', name, args };
  }

  /** Comma-separated expressions up to and including `close`. */
  private items(close: string): Node[] {
    const items: Node[] = [];
    if (!this.peekOp(close)) {
      items.push(this.or());
      while (this.peekOp(',')) {
        this.pos++;
        items.push(this.or());
      }
    }
    this.expect(close);
    return items;
  }

  /** A JSON object literal, as in jsonMerge({"a": 1}, $Input.b). */
  private object(): Node {
    const entries: [string, Node][] = [];
    if (!this.peekOp('}')) {
      do {
        if (entries.length > 0) this.pos++;
        const key = this.tokens[this.pos++];
        if (!key || key.t !== 'str') throw new ExpressionError('an object key must be a quoted string');
        this.expect(':');
        entries.push([key.v, this.or()]);
      } while (this.peekOp(','));
    }
    this.expect('}');
    return { kind: 'object', entries };
  }

  private primary(): Node {
    const tok = this.tokens[this.pos++];
    if (!tok) throw new ExpressionError('unexpected end of expression');
    switch (tok.t) {
      case 'num':
        return { kind: 'literal', value: tok.v };
      case 'str':
        return { kind: 'literal', value: tok.v, raw: tok.raw };
      case 'path':
        return { kind: 'path', ref: tok.v };
      case 'word':
        if (tok.v === 'true') return { kind: 'literal', value: true };
        if (tok.v === 'false') return { kind: 'literal', value: false };
        if (tok.v === 'null') return { kind: 'literal', value: null };
        if (this.peekOp('(')) return this.call(tok.v);
        throw new ExpressionError(`unknown word "${tok.v}" (strings need quotes, paths start with $)`);
      case 'op':
        if (tok.v === '(') {
          const inner = this.or();
          this.expect(')');
          return inner;
        }
        if (tok.v === '[') return { kind: 'list', items: this.items(']') };
        if (tok.v === '{') return this.object();
        throw new ExpressionError(`unexpected "${tok.v}"`);
    }
  }
}


function describe(tok: Token): string {
  return tok.t === 'path' ? `$${tok.v.root}` : String(tok.v);
}

const PARSED = new Map<string, Node>();

function parseExpression(src: string): Node {
  let node = PARSED.get(src);
  if (!node) {
    node = new Parser(tokenize(src)).parse();
    if (PARSED.size < 1000) PARSED.set(src, node);
  }
  return node;
}

/** Parses a single path such as `$Input.items[0]`; throws ExpressionError otherwise. */
export function parsePath(src: string): PathRef {
  const trimmed = src.trim();
  if (!trimmed.startsWith('$')) throw new ExpressionError(`a path starts with $: "${src}"`);
  const { ref, end } = readPath(trimmed, 0);
  if (end !== trimmed.length) throw new ExpressionError(`unexpected "${trimmed.slice(end)}" in path "${src}"`);
  return ref;
}

export function resolvePath(ref: PathRef, scope: Scope): unknown {
  if (!Object.prototype.hasOwnProperty.call(scope, ref.root)) throw new ExpressionError(`unknown root $${ref.root}`);
  let value: unknown = scope[ref.root];
  for (const seg of ref.segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Object.prototype.hasOwnProperty.call(value, seg) ? (value as Record<string, unknown>)[seg as string] : undefined;
  }
  return value;
}

/** The value at a path; undefined when a step of it is missing. */
export function evaluatePath(src: string, scope: Scope): unknown {
  return resolvePath(parsePath(src), scope);
}

/** Parses a condition to check its syntax without a scope (for validation). */
export function checkCondition(src: string): void {
  parseExpression(src);
}

export function checkPath(src: string): void {
  parsePath(src);
}

/** The random source when the caller gives none: inside a workflow Math.random is Temporal's deterministic one. */
const DEFAULT_ENV: IntrinsicEnv = { random: () => Math.random() };

export function evaluateCondition(src: string, scope: Scope, env: IntrinsicEnv = DEFAULT_ENV): boolean {
  return truthy(evaluate(parseExpression(src), scope, env));
}

/**
 * A constructor value (`key.$`): a path, as before, or an expression that calls intrinsic functions.
 * Paths keep their own parser so existing definitions evaluate exactly as they did.
 */
export function evaluateValue(src: string, scope: Scope, env: IntrinsicEnv = DEFAULT_ENV): unknown {
  return src.trim().startsWith('$') ? evaluatePath(src, scope) : evaluate(parseExpression(src), scope, env);
}

/** Checks a constructor value's syntax and its function calls (names, argument counts) without a scope. */
export function checkValue(src: string): void {
  if (src.trim().startsWith('$')) parsePath(src);
  else parseExpression(src);
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function ordered(op: string, a: unknown, b: unknown): boolean {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function evaluate(node: Node, scope: Scope, env: IntrinsicEnv): unknown {
  const ev = (n: Node): unknown => evaluate(n, scope, env);
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path':
      return resolvePath(node.ref, scope);
    case 'list':
      return node.items.map(ev);
    case 'object':
      return Object.fromEntries(node.entries.map(([k, n]) => [k, ev(n)]));
    case 'call': {
      const first = node.args[0];
      const rawTemplate = isFormat(node.name) && first?.kind === 'literal' ? first.raw : undefined;
      return callIntrinsic(node.name, node.args.map(ev), env, rawTemplate);
    }
    case 'not':
      return !truthy(ev(node.operand));
    case 'binary': {
      if (node.op === '&&') return truthy(ev(node.left)) && truthy(ev(node.right));
      if (node.op === '||') return truthy(ev(node.left)) || truthy(ev(node.right));
      const a = ev(node.left);
      const b = ev(node.right);
      if (node.op === '==') return equal(a, b);
      if (node.op === '!=') return !equal(a, b);
      if (node.op === 'in') return Array.isArray(b) ? b.some((x) => equal(a, x)) : typeof b === 'string' && typeof a === 'string' ? b.includes(a) : false;
      return ordered(node.op, a, b);
    }
  }
}
