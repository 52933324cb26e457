// Subflows: an FDL task whose resource is a flow (`acs:fnf:::flow/<name>`,
// region and account optional) runs that flow as a child execution. The
// definitions travel by name in the run's input, so `flow run` finds them
// before anything runs and the workflow never reads files.
import type { FdlStep } from './definition';

const FLOW_RESOURCE = /^acs:fnf:[^:]*:[^:]*:flow\/([A-Za-z_][A-Za-z0-9_-]{0,127})$/;

/** The flow name of a `acs:fnf:::flow/<name>` resource, or undefined for any other resource. */
export function parseFlowResource(resource: unknown): string | undefined {
  return typeof resource === 'string' ? FLOW_RESOURCE.exec(resource)?.[1] : undefined;
}

export function isFlowResource(resource: unknown): boolean {
  return typeof resource === 'string' && resource.startsWith('acs:fnf:');
}

/** Every step list nested in a list: choice arms, parallel branches, foreach bodies. */
function* allSteps(steps: unknown): Generator<FdlStep> {
  if (!Array.isArray(steps)) return;
  for (const step of steps as FdlStep[]) {
    if (step === null || typeof step !== 'object') continue;
    yield step;
    for (const c of step.choices ?? []) yield* allSteps(c?.steps);
    yield* allSteps(step.default?.steps);
    for (const b of step.branches ?? []) yield* allSteps(b?.steps);
    yield* allSteps(step.steps);
  }
}

/** The flow names a definition's tasks call, each once, in the order they appear. */
export function subflowNames(definition: unknown): string[] {
  const names = new Set<string>();
  if (definition !== null && typeof definition === 'object') {
    for (const step of allSteps((definition as { steps?: unknown }).steps)) {
      const name = step.type === 'task' ? parseFlowResource(step.resourceArn) : undefined;
      if (name) names.add(name);
    }
  }
  return [...names];
}
