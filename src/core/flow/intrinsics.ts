// The built-in (intrinsic) functions of flow expressions: CloudFlow's
// documented set (format, length, split, toArray, mapKeys, hash, uuid ...) and
// Step Functions' States.* set, which CloudFlow follows. Each States.X is also
// callable as lower-camel x (States.ArrayPartition → arrayPartition). Pure:
// randomness comes from the caller (in a workflow, its deterministic
// Math.random), hashes and Base64 are plain TypeScript.
import { md5, sha1, sha256, sha384, sha512 } from './hashes';
import { base64Decode, base64Encode, utf8Decode, utf8Encode } from './textBytes';

/**
 * The error a failed call raises. Alibaba's documentation names none; this is
 * Step Functions' name for it, which a Catch can match (or States.ALL / FnF.ALL).
 */
export const INTRINSIC_FAILURE = 'States.IntrinsicFailure';

export class IntrinsicError extends Error {}

export interface IntrinsicEnv {
  /** Uniform in [0, 1). In workflow code Math.random is Temporal's seeded, replay-safe source. */
  random: () => number;
}

/** Step Functions' limit for array and string intrinsics. */
const MAX_ITEMS = 1000;
const MAX_STRING = 10000;

interface Intrinsic {
  min: number;
  max: number;
  run: (args: unknown[], env: IntrinsicEnv, call: Call) => unknown;
}

/** What a function knows about its own call: its name as written, and a literal template's source text. */
export interface Call {
  name: string;
  rawTemplate?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing (a missing path?)' : JSON.stringify(v));

function fail(call: Call, reason: string): never {
  throw new IntrinsicError(`${call.name}: ${reason}`);
}

function arg<T>(call: Call, args: unknown[], i: number, what: string, ok: (v: unknown) => boolean): T {
  if (!ok(args[i])) fail(call, `argument ${i + 1} must be ${what}, got ${show(args[i])}`);
  return args[i] as T;
}
const str = (call: Call, args: unknown[], i: number): string => arg<string>(call, args, i, 'a string', (v) => typeof v === 'string');
const arr = (call: Call, args: unknown[], i: number): unknown[] => arg<unknown[]>(call, args, i, 'an array', Array.isArray);
const obj = (call: Call, args: unknown[], i: number): Json => arg<Json>(call, args, i, 'a JSON object', isObject);
const int = (call: Call, args: unknown[], i: number): number => arg<number>(call, args, i, 'a whole number', (v) => Number.isSafeInteger(v));

/** JSON equality: what "contains" and "unique" compare by. */
function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b));
}

/** `{}` placeholders; in a literal template `\{`, `\}`, `\'` and `\\` stand for the character itself. */
function format(args: unknown[], _env: IntrinsicEnv, call: Call): string {
  const template = str(call, args, 0);
  const missing = args.findIndex((v, i) => i > 0 && v === undefined);
  if (missing > 0) fail(call, `argument ${missing + 1} is ${show(undefined)}`);
  const values = args.slice(1).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const src = call.rawTemplate ?? template;
  let out = '';
  let used = 0;
  for (let i = 0; i < src.length; i++) {
    if (call.rawTemplate !== undefined && src[i] === '\\' && i + 1 < src.length) out += src[++i];
    else if (src[i] === '{' && src[i + 1] === '}') {
      if (used >= values.length) fail(call, `the template has more {} placeholders than the ${values.length} value(s) given`);
      out += values[used++];
      i++;
    } else out += src[i];
  }
  if (used !== values.length) fail(call, `the template has ${used} {} placeholder(s) but ${values.length} value(s) were given`);
  return out;
}

function hash(args: unknown[], _env: IntrinsicEnv, call: Call): string {
  const data = str(call, args, 0);
  if (data.length > MAX_STRING) fail(call, `the input is over ${MAX_STRING} characters`);
  const algorithm = str(call, args, 1);
  const bytes = utf8Encode(data);
  switch (algorithm.toUpperCase()) {
    case 'MD5':
      return md5(bytes);
    case 'SHA-1':
      return sha1(bytes);
    case 'SHA-256':
      return sha256(bytes);
    case 'SHA-384':
      return sha384(bytes);
    case 'SHA-512':
      return sha512(bytes);
    default:
      return fail(call, `unknown algorithm ${show(algorithm)} (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)`);
  }
}

function uuid(_args: unknown[], env: IntrinsicEnv): string {
  const b = Array.from({ length: 16 }, () => Math.floor(env.random() * 256) & 255);
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** mulberry32: the same seed gives the same number, as States.MathRandom's seed promises. */
function seeded(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [start, end): start inclusive, end exclusive, as Step Functions documents. */
function mathRandom(args: unknown[], env: IntrinsicEnv, call: Call): number {
  const start = int(call, args, 0);
  const end = int(call, args, 1);
  if (end <= start) fail(call, `the end ${end} must be above the start ${start}`);
  const random = args.length > 2 ? seeded(int(call, args, 2)) : env.random;
  return start + Math.floor(random() * (end - start));
}

function mathAdd(args: unknown[], _env: IntrinsicEnv, call: Call): number {
  return int(call, args, 0) + int(call, args, 1);
}

function arrayRange(args: unknown[], _env: IntrinsicEnv, call: Call): number[] {
  const [start, end, step] = [int(call, args, 0), int(call, args, 1), int(call, args, 2)];
  if (step === 0) fail(call, 'the step must not be 0');
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_ITEMS) fail(call, `the range has ${count} items, over the limit of ${MAX_ITEMS}`);
  return count <= 0 ? [] : Array.from({ length: count }, (_, i) => start + i * step);
}

function arrayPartition(args: unknown[], _env: IntrinsicEnv, call: Call): unknown[][] {
  const items = arr(call, args, 0);
  const size = arg<number>(call, args, 1, 'a whole number above 0', (v) => Number.isSafeInteger(v) && (v as number) > 0);
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function arrayGetItem(args: unknown[], _env: IntrinsicEnv, call: Call): unknown {
  const items = arr(call, args, 0);
  const index = int(call, args, 1);
  if (index < 0 || index >= items.length) fail(call, `index ${index} is outside the array of ${items.length} item(s)`);
  return items[index];
}

/** CloudFlow's `get`: an array item by index or an object member by key; null when there is none. */
function get(args: unknown[], _env: IntrinsicEnv, call: Call): unknown {
  const from = args[0];
  if (Array.isArray(from)) return from[int(call, args, 1)] ?? null;
  if (isObject(from)) {
    const key = str(call, args, 1);
    return Object.prototype.hasOwnProperty.call(from, key) ? from[key] : null;
  }
  return fail(call, `argument 1 must be an array or a JSON object, got ${show(from)}`);
}

function length(args: unknown[], _env: IntrinsicEnv, call: Call): number {
  const v = args[0];
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  return fail(call, `argument 1 must be a string, an array or a JSON object, got ${show(v)}`);
}

function unique(args: unknown[], _env: IntrinsicEnv, call: Call): unknown[] {
  const out: unknown[] = [];
  for (const item of arr(call, args, 0)) if (!out.some((o) => same(o, item))) out.push(item);
  return out;
}

function stringToJson(args: unknown[], _env: IntrinsicEnv, call: Call): unknown {
  const text = str(call, args, 0);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return fail(call, `argument 1 is not JSON: ${(err as Error).message}`);
  }
}

function jsonMerge(args: unknown[], _env: IntrinsicEnv, call: Call): Json {
  // Step Functions' third argument asks for a deep merge, which it does not support either: only false is accepted.
  if (args.length > 2 && args[2] !== false) fail(call, 'only a shallow merge is supported: argument 3 must be false');
  return { ...obj(call, args, 0), ...obj(call, args, 1) };
}

function base64EncodeFn(args: unknown[], _env: IntrinsicEnv, call: Call): string {
  const text = str(call, args, 0);
  if (text.length > MAX_STRING) fail(call, `the input is over ${MAX_STRING} characters`);
  return base64Encode(utf8Encode(text));
}

function base64DecodeFn(args: unknown[], _env: IntrinsicEnv, call: Call): string {
  const text = str(call, args, 0);
  const bytes = base64Decode(text);
  const decoded = bytes && utf8Decode(bytes);
  if (decoded === undefined) fail(call, `${show(text)} is not Base64 of UTF-8 text`);
  return decoded;
}

/** Step Functions' States.StringSplit: every character of the second argument is a delimiter; empty pieces are dropped. */
function stringSplit(args: unknown[], _env: IntrinsicEnv, call: Call): string[] {
  const text = str(call, args, 0);
  const delimiters = str(call, args, 1);
  const out: string[] = [];
  let piece = '';
  for (const c of text) {
    if (delimiters.includes(c)) {
      if (piece) out.push(piece);
      piece = '';
    } else piece += c;
  }
  if (piece) out.push(piece);
  return out;
}

/** CloudFlow's `split`: the whole second argument is the separator (Go's strings.Split). */
function split(args: unknown[], _env: IntrinsicEnv, call: Call): string[] {
  return str(call, args, 0).split(str(call, args, 1));
}

/**
 * CloudFlow's regexMatchString(pattern, text), in the argument order of Go's regexp.MatchString
 * (the documentation's example is not available to us); true when the pattern matches anywhere in the text.
 */
function regexMatchString(args: unknown[], _env: IntrinsicEnv, call: Call): boolean {
  const pattern = str(call, args, 0);
  const text = str(call, args, 1);
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    return fail(call, `bad regular expression ${show(pattern)}: ${(err as Error).message}`);
  }
  return re.test(text);
}

const VARIADIC = Number.POSITIVE_INFINITY;
const fn = (min: number, max: number, run: Intrinsic['run']): Intrinsic => ({ min, max, run });

/** Functions by canonical name. */
const FUNCTIONS: Record<string, Intrinsic> = {
  // CloudFlow's documented built-in functions.
  format: fn(1, VARIADIC, format),
  length: fn(1, 1, length),
  regexMatchString: fn(2, 2, regexMatchString),
  split: fn(2, 2, split),
  get: fn(2, 2, get),
  intAdd: fn(2, 2, mathAdd),
  randomInt: fn(2, 2, mathRandom),
  arrayContains: fn(2, 2, (a, _e, c) => arr(c, a, 0).some((x) => same(x, a[1]))),
  arrayUnique: fn(1, 1, unique),
  toArray: fn(0, VARIADIC, (a) => [...a]),
  mapKeys: fn(1, 1, (a, _e, c) => Object.keys(obj(c, a, 0))),
  mapValues: fn(1, 1, (a, _e, c) => Object.values(obj(c, a, 0))),
  toBase64: fn(1, 1, base64EncodeFn),
  fromBase64: fn(1, 1, base64DecodeFn),
  hash: fn(2, 2, hash),
  uuid: fn(0, 0, uuid),
  stringToJson: fn(1, 1, stringToJson),
  jsonToString: fn(1, 1, (a, _e, c) => (a[0] === undefined ? fail(c, `argument 1 must be a JSON value, got ${show(a[0])}`) : JSON.stringify(a[0]))),
  jsonMerge: fn(2, 3, jsonMerge),
  // Step Functions' intrinsics that CloudFlow's list lacks (their States.* names map here too).
  array: fn(0, VARIADIC, (a) => [...a]),
  arrayPartition: fn(2, 2, arrayPartition),
  arrayRange: fn(3, 3, arrayRange),
  arrayGetItem: fn(2, 2, arrayGetItem),
  arrayLength: fn(1, 1, (a, _e, c) => arr(c, a, 0).length),
  base64Encode: fn(1, 1, base64EncodeFn),
  base64Decode: fn(1, 1, base64DecodeFn),
  mathRandom: fn(2, 3, mathRandom),
  mathAdd: fn(2, 2, mathAdd),
  stringSplit: fn(2, 2, stringSplit),
};

/** Other spellings: CloudFlow's aliases and every States.* name. */
const ALIASES: Record<string, string> = {
  fromJSON: 'stringToJson',
  toJSON: 'jsonToString',
  'States.Format': 'format',
  'States.StringToJson': 'stringToJson',
  'States.JsonToString': 'jsonToString',
  'States.Array': 'array',
  'States.ArrayPartition': 'arrayPartition',
  'States.ArrayContains': 'arrayContains',
  'States.ArrayRange': 'arrayRange',
  'States.ArrayGetItem': 'arrayGetItem',
  'States.ArrayLength': 'arrayLength',
  'States.ArrayUnique': 'arrayUnique',
  'States.Base64Encode': 'base64Encode',
  'States.Base64Decode': 'base64Decode',
  'States.Hash': 'hash',
  'States.JsonMerge': 'jsonMerge',
  'States.MathRandom': 'mathRandom',
  'States.MathAdd': 'mathAdd',
  'States.StringSplit': 'stringSplit',
  'States.UUID': 'uuid',
};

/** Every name a definition may call, for docs and messages. */
export const INTRINSIC_NAMES: readonly string[] = [...Object.keys(FUNCTIONS), ...Object.keys(ALIASES)];

function lookup(name: string): Intrinsic | undefined {
  const canonical = Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name] : name;
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, canonical) ? FUNCTIONS[canonical] : undefined;
}

/** Why a call with `count` arguments cannot work, or undefined when it can (checked when an expression is parsed). */
export function intrinsicCallProblem(name: string, count: number): string | undefined {
  const f = lookup(name);
  if (!f) return `unknown function "${name}"`;
  if (count < f.min || count > f.max) {
    const wanted = f.min === f.max ? `${f.min}` : f.max === VARIADIC ? `at least ${f.min}` : `${f.min} to ${f.max}`;
    return `${name} takes ${wanted} argument(s), not ${count}`;
  }
  return undefined;
}

export function callIntrinsic(name: string, args: unknown[], env: IntrinsicEnv, rawTemplate?: string): unknown {
  const problem = intrinsicCallProblem(name, args.length);
  if (problem) throw new IntrinsicError(problem);
  return lookup(name)!.run(args, env, { name, rawTemplate });
}

/** Whether `name` formats its first argument (so a literal template keeps its escapes). */
export function isFormat(name: string): boolean {
  return lookup(name) === FUNCTIONS.format;
}
