// Runs one FC Node.js handler in its own process (started by
// childFunction.ts): the event's bytes arrive on stdin, the context as JSON in
// SHARDFLOW_FC_CONTEXT, and one JSON answer leaves on fd 3, so whatever the
// handler prints on stdout stays a log line. The answer is {result} or FC's
// error shape {errorType, errorMessage, stackTrace}.
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

type Callback = (err?: unknown, result?: unknown) => void;
type Handler = (event: Buffer, context: unknown, callback?: Callback) => unknown;

// A real import() (TypeScript would compile it to require()), so ES modules load as on FC's Node.js 18+.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

const answerStream = createWriteStream('', { fd: 3 });
let answered = false;

function answer(body: unknown, code: number): void {
  if (answered) return;
  answered = true;
  answerStream.end(JSON.stringify(body), () => process.exit(code));
}

/** FC's error body: errorType is the error's name; a callback given a string fails with that message. */
function errorBody(err: unknown): { errorType: string; errorMessage: string; stackTrace?: string[] } {
  if (err instanceof Error) return { errorType: err.name || 'Error', errorMessage: err.message, stackTrace: err.stack?.split('\n').slice(1).map((l) => l.trim()) };
  if (err !== null && typeof err === 'object') {
    const e = err as { name?: unknown; errorType?: unknown; message?: unknown; errorMessage?: unknown };
    const type = e.errorType ?? e.name;
    const message = e.errorMessage ?? e.message;
    return { errorType: typeof type === 'string' ? type : 'Error', errorMessage: typeof message === 'string' ? message : JSON.stringify(err) };
  }
  return { errorType: 'Error', errorMessage: String(err) };
}

/** A Buffer or string result is the response body as FC sends it; anything else travels as a value. */
function resultBody(result: unknown): unknown {
  if (Buffer.isBuffer(result)) return { text: result.toString('utf8') };
  if (typeof result === 'string') return { text: result };
  return { result: result === undefined ? null : result };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function main(): Promise<void> {
  const [file, handlerName] = process.argv.slice(2);
  const context = JSON.parse(process.env.SHARDFLOW_FC_CONTEXT ?? '{}');
  delete process.env.SHARDFLOW_FC_CONTEXT;
  const event = await readStdin();
  const mod = (await importModule(pathToFileURL(file).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  const handler = (mod[handlerName] ?? mod.default?.[handlerName]) as Handler | undefined;
  if (typeof handler !== 'function') throw Object.assign(new Error(`${file} exports no function ${handlerName}`), { name: 'HandlerNotFound' });
  // Three parameters: the callback style, done when the callback is called (an async one may also reject).
  const result =
    handler.length >= 3
      ? await new Promise((resolve, reject) => {
          const returned = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
          if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(undefined, reject);
        })
      : await handler(event, context);
  answer(resultBody(result), 0);
}

process.on('uncaughtException', (err) => answer(errorBody(err), 1));
process.on('unhandledRejection', (err) => answer(errorBody(err), 1));
main().catch((err) => answer(errorBody(err), 0));
