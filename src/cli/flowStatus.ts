// The status `flow describe` reports. The flow's own state is what a query of
// the execution answers, frozen at the moment it closed: an execution that was
// terminated, cancelled or timed out still says RUNNING there, so a closed
// execution's Temporal status decides, named as CloudFlow names it.

export type DescribedFlowStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT';

export function describedFlowStatus(workflowStatus: string, queried: string | undefined): DescribedFlowStatus {
  switch (workflowStatus) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return 'RUNNING';
    case 'COMPLETED':
      return queried === 'FAILED' ? 'FAILED' : 'SUCCEEDED';
    case 'TERMINATED':
    case 'CANCELLED':
    case 'CANCELED':
      return 'STOPPED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    default:
      return 'FAILED';
  }
}
