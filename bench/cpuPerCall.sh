#!/usr/bin/env bash
# Logs every ffmpeg and ffprobe call's CPU and wall time, to see where a job's
# CPU goes stage by stage. Run through links named after the tool:
#   mkdir -p /tmp/cpl && ln -sf "$PWD/bench/cpuPerCall.sh" /tmp/cpl/ffmpeg && ln -sf "$PWD/bench/cpuPerCall.sh" /tmp/cpl/ffprobe
#   SHARDFLOW_FFMPEG=/tmp/cpl/ffmpeg SHARDFLOW_FFPROBE=/tmp/cpl/ffprobe npx shardflow worker
# Each call appends "tool user_s sys_s wall_s :: arguments" to the file
# CPU_PER_CALL_LOG names (default: log, beside the links). The real tools are
# the ones on PATH outside the links' folder.
set -u
tool="$(basename "$0")"
here="$(cd "$(dirname "$0")" && pwd)"
log="${CPU_PER_CALL_LOG:-$here/log}"
real="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$here" | paste -sd:)" command -v "$tool")" || {
  echo "cpuPerCall: no $tool on PATH outside $here" >&2
  exit 127
}
# The `time` keyword times the tool alone. Its report and the tool's exit status
# come back through the substitution; the tool's own output goes to ours (3, 4).
TIMEFORMAT='%U %S %R'
exec 3>&1 4>&2
report="$({ time "$real" "$@" 2>&4 >&3; } 2>&1; echo "$?")"
status="${report##*$'\n'}"
printf '%s %s :: %s\n' "$tool" "${report%$'\n'*}" "$*" | cut -c1-5000 >> "$log"
exit "$status"
