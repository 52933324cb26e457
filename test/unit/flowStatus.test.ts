// What `flow describe` reports for each Temporal status and queried flow state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describedFlowStatus } from '../../src/cli/flowStatus';

describe('describedFlowStatus', () => {
  it('lets a closed execution decide: a stop is STOPPED whatever the frozen state says', () => {
    assert.equal(describedFlowStatus('TERMINATED', 'RUNNING'), 'STOPPED');
    assert.equal(describedFlowStatus('CANCELED', 'RUNNING'), 'STOPPED');
    // The name the Temporal client gives a cancelled execution.
    assert.equal(describedFlowStatus('CANCELLED', 'RUNNING'), 'STOPPED');
    assert.equal(describedFlowStatus('TIMED_OUT', 'RUNNING'), 'TIMED_OUT');
    assert.equal(describedFlowStatus('FAILED', 'RUNNING'), 'FAILED');
    assert.equal(describedFlowStatus('COMPLETED', 'SUCCEEDED'), 'SUCCEEDED');
    assert.equal(describedFlowStatus('COMPLETED', undefined), 'SUCCEEDED');
    assert.equal(describedFlowStatus('RUNNING', 'RUNNING'), 'RUNNING');
  });
});
