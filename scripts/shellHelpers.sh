# Helpers the setup scripts share. Source it after setting SCRIPT_NAME, which
# prefixes every line they print.
log() { echo "$SCRIPT_NAME: $*"; }
die() { echo "$SCRIPT_NAME: ERROR: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }
