// What a CloudFlow `FC:InvokeFunction` Task outputs: not the function's bare
// answer but FC's InvokeFunction response, so definitions read
// `$Output.Body.<field>` as they do on Alibaba Cloud. FDL tasks keep the bare
// answer (Function Flow never wrapped it). Pure: the interpreter uses it.

/** Marks executions that wrap; histories recorded before it replay with the bare answer they saw. */
export const FC_INVOKE_OUTPUT_PATCH = 'cloudflow-fc-invoke-output';

export interface FcInvokeOutput {
  /** The function's return value; text that is JSON arrives parsed, other text as it is. */
  Body: unknown;
  Headers: Record<string, string>;
  /** A call that answers at all answered 200: function errors fail the state instead (Retry/Catch see them). */
  StatusCode: number;
}

export function fcInvokeOutput(answer: unknown): FcInvokeOutput {
  let body = answer;
  if (typeof answer === 'string') {
    try {
      body = JSON.parse(answer);
    } catch {
      body = answer;
    }
  }
  const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
  return { Body: body, Headers: { 'Content-Type': contentType }, StatusCode: 200 };
}
