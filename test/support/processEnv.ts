// Sets variables in this process's environment for a suite whose in-process
// worker reads them at start, and gives back what undoes it.

/** Sets `vars`; the returned function restores each one as it was (unset stays unset). */
export function setProcessEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The worker settings that make the flows' built-ins keep their objects in an OSS server at `endpoint` (path-style, as the local OSS test server serves). */
export function ossFlowStoreEnv(endpoint: string, key: { accessKeyId: string; accessKeySecret: string }): Record<string, string> {
  return {
    ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret,
    OSS_ENDPOINT: endpoint,
    OSS_REGION: 'cn-hangzhou',
    OSS_PATH_STYLE: '1',
    SHARDFLOW_FLOW_STORE: 'oss',
  };
}
