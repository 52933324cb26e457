// `shardflow flow run|validate|callback|describe`: Serverless Workflow definitions
// (CloudFlow or FDL), interpreted by the runFlow workflow.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { jobUiUrl } from '../config';
import { knownFunctions, loadDefinitionFile } from './flowFile';
import { registerFlowCallback } from './flowCallbackCommand';
import { loadSubflows, type Subflows } from './subflowFiles';
import { FUNCTIONS_MAP_ENV } from '../functions/userFunctions/functionsMap';
import { describeFlowQuery, RUN_FLOW_WORKFLOW, type FlowDescription, type RunFlowInput } from '../core/flow/flowNames';
import { validateDefinition } from '../core/flow/validate';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { describeFailure } from './failureReport';
import { withClient } from './withClient';
import { describedFlowStatus } from './flowStatus';

function readInput(arg: string | undefined): unknown {
  if (arg === undefined) return {};
  const text = arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`--input is not JSON: ${(err as Error).message}`, ExitCode.Usage);
  }
}

/** `--functions FILE` stands for SHARDFLOW_FLOW_FUNCTIONS_MAP in this command. */
function useFunctionsMap(file: string | undefined): void {
  if (file !== undefined) process.env[FUNCTIONS_MAP_ENV] = path.resolve(file);
}

interface ValidFlow {
  definition: unknown;
  /** Definitions of its subflows by name (empty when it has none). */
  subflows: Record<string, unknown>;
}

function loadValid(file: string, functionsMap?: string, flowDirs?: string[]): ValidFlow {
  useFunctionsMap(functionsMap);
  let definition: unknown;
  let known;
  let subflows: Subflows;
  try {
    definition = loadDefinitionFile(file);
    known = knownFunctions();
    subflows = loadSubflows(file, definition, flowDirs);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
  const names = Object.keys(subflows.definitions);
  const problems = [
    ...validateDefinition(definition, known, names),
    ...names.flatMap((name) => validateDefinition(subflows.definitions[name], known, names).map((p) => `flow "${name}" (${subflows.files[name]}): ${p}`)),
  ];
  if (problems.length > 0) {
    const hint = problems.some((p) => p.includes('no definition of flow')) ? `\n  (a subflow <name> is read from <name>.yaml, .yml or .json in ${subflows.searched.join(', ')}; --flows DIR adds a folder)` : '';
    throw new CliError(`${file} is not a valid flow:\n  ${problems.join('\n  ')}${hint}`, ExitCode.Usage);
  }
  return { definition, subflows: subflows.definitions };
}

/** `--flows DIR`, repeatable. */
function collectDir(value: string, all: string[]): string[] {
  return [...all, value];
}

function newExecutionId(file: string): string {
  const base = path.basename(file).replace(/\.(ya?ml|json)$/i, '').replace(/[^A-Za-z0-9_-]/g, '-');
  return `flow-${base}-${randomBytes(3).toString('hex')}`;
}

export function registerFlow(program: Command): void {
  const flow = program.command('flow').description('run Serverless Workflow definitions (CloudFlow or FDL) on Temporal');

  flow
    .command('validate')
    .description('check a definition: state types, targets, resources, Retry fields')
    .argument('<file>', 'YAML or JSON definition')
    .option('--functions <file>', 'functions map (YAML or JSON) naming what serves each function (default: SHARDFLOW_FLOW_FUNCTIONS_MAP)')
    .option('--flows <dir>', 'a folder of subflow definitions (<name>.yaml) besides the definition\'s own; repeatable', collectDir, [] as string[])
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (file: string, opts: { json?: boolean; functions?: string; flows: string[] }) => {
        const { definition } = loadValid(file, opts.functions, opts.flows);
        const kind = (definition as { Type?: string }).Type === 'StateMachine' ? 'cloudflow' : 'fdl';
        if (opts.json) process.stdout.write(`${JSON.stringify({ file, valid: true, kind })}\n`);
        else process.stdout.write(`${file}: valid ${kind === 'cloudflow' ? 'CloudFlow' : 'FDL'} definition\n`);
      }),
    );

  flow
    .command('run')
    .description('start an execution of a definition')
    .argument('<file>', 'YAML or JSON definition')
    .option('--input <json|@file>', 'execution input: JSON text, or @path to a JSON file')
    .option('--id <executionId>', 'execution (workflow) id (default: generated)')
    .option('--step-limit <n>', 'state transitions allowed per state list (default 1000)')
    .option('--wait', 'wait for the result and exit non-zero if the execution fails')
    .option('--functions <file>', 'functions map (YAML or JSON) to check the definition against; workers read their own SHARDFLOW_FLOW_FUNCTIONS_MAP')
    .option('--flows <dir>', 'a folder of subflow definitions (<name>.yaml) besides the definition\'s own; repeatable', collectDir, [] as string[])
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (file: string, opts: { input?: string; id?: string; stepLimit?: string; wait?: boolean; json?: boolean; functions?: string; flows: string[] }) => {
        const { definition, subflows } = loadValid(file, opts.functions, opts.flows);
        const input = readInput(opts.input);
        const stepLimit = opts.stepLimit === undefined ? undefined : Number(opts.stepLimit);
        if (stepLimit !== undefined && !(Number.isInteger(stepLimit) && stepLimit > 0)) throw new CliError('--step-limit must be a positive whole number', ExitCode.Usage);
        return withClient(async (client, config) => {
          const executionId = opts.id ?? newExecutionId(file);
          const args: RunFlowInput = { definition, input, ...(stepLimit ? { stepLimit } : {}), ...(Object.keys(subflows).length > 0 ? { subflows } : {}) };
          const handle = await client.workflow.start(RUN_FLOW_WORKFLOW, {
            taskQueue: config.taskQueue,
            workflowId: executionId,
            args: [args],
            staticSummary: `flow ${path.basename(file)}`,
          });
          const uiUrl = jobUiUrl(config, executionId);
          if (!opts.wait) {
            if (opts.json) process.stdout.write(`${JSON.stringify({ executionId, status: 'RUNNING', uiUrl })}\n`);
            else process.stdout.write(`started flow execution ${executionId}\nWeb UI: ${uiUrl}\n`);
            return ExitCode.Ok;
          }
          try {
            const output = await handle.result();
            if (opts.json) process.stdout.write(`${JSON.stringify({ executionId, status: 'SUCCEEDED', output })}\n`);
            else process.stdout.write(`flow execution ${executionId} succeeded\n${JSON.stringify(output, null, 2)}\n`);
            return ExitCode.Ok;
          } catch (err) {
            const { message, exitCode } = describeFailure(err);
            if (opts.json) process.stdout.write(`${JSON.stringify({ executionId, status: 'FAILED', error: message })}\n`);
            else process.stderr.write(`shardflow: flow execution ${executionId} ${message.replace(/^job /, '')}\n`);
            return exitCode;
          }
        });
      }),
    );

  registerFlowCallback(flow);

  flow
    .command('describe')
    .description('show an execution: status, current state(s), output so far')
    .argument('<executionId>')
    .option('--json', 'print machine-readable JSON on stdout')
    .action(
      commandAction(async (executionId: string, opts: { json?: boolean }) =>
        withClient(async (client) => {
          const handle = client.workflow.getHandle(executionId);
          let status: string;
          try {
            status = (await handle.describe()).status.name;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) throw new CliError(`no flow execution ${executionId}`, ExitCode.NotFound);
            throw err;
          }
          // A closed execution still answers queries while a worker serves its task queue.
          const flowState: FlowDescription | undefined = await handle.query(describeFlowQuery).catch(() => undefined);
          const flowStatus = describedFlowStatus(status, flowState?.status);
          const out = { executionId, workflowStatus: status, ...(flowState ?? {}), status: flowStatus };
          if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
          else {
            process.stdout.write(`flow execution ${executionId}: ${flowStatus}\n`);
            if (flowState) {
              process.stdout.write(`  current: ${flowState.currentStates.join(', ') || '(none)'}; ${flowState.transitions} transitions\n`);
              if (flowState.error) process.stdout.write(`  error: ${flowState.error.error}: ${flowState.error.cause}\n`);
              if (flowState.output !== undefined) process.stdout.write(`  output: ${JSON.stringify(flowState.output)}\n`);
            } else process.stdout.write('  (no worker answered the describe query; is a worker running?)\n');
          }
          // From the described status: Temporal spells a cancelled execution CANCELLED, which a list of names missed (exit 0).
          return flowStatus === 'RUNNING' || flowStatus === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.JobFailed;
        }),
      ),
    );
}
