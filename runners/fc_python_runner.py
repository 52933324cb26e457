"""Runs one FC Python 3 event handler, for shardflow's python: functions.

Usage: python3 fc_python_runner.py DIR MODULE HANDLER, with the event's bytes on
stdin and the context as JSON in SHARDFLOW_FC_CONTEXT. Prints one JSON answer on
stdout: {"result": value} or {"text": str}, or FC's error shape {"errorType",
"errorMessage", "stackTrace"}. The handler's own prints go to stderr.
"""
import importlib
import json
import os
import sys
import traceback


class _Obj:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def _context(raw):
    creds = raw.get("credentials") or {}
    fn = raw.get("function") or {}
    service = raw.get("service") or {}
    return _Obj(
        request_id=raw.get("requestId", ""),
        region=raw.get("region", ""),
        account_id=raw.get("accountId", ""),
        credentials=_Obj(
            access_key_id=creds.get("accessKeyId"),
            access_key_secret=creds.get("accessKeySecret"),
            security_token=creds.get("securityToken"),
        ),
        function=_Obj(
            name=fn.get("name", ""),
            handler=fn.get("handler", ""),
            memory=fn.get("memory", 0),
            timeout=fn.get("timeout", 0),
        ),
        service=_Obj(name=service.get("name", ""), log_project="", log_store="", qualifier="LATEST", version_id=""),
    )


def main():
    directory, module_name, handler_name = sys.argv[1:4]
    # The answer owns the real stdout; anything else written to fd 1 (print, C extensions) goes to stderr.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    raw_context = json.loads(os.environ.pop("SHARDFLOW_FC_CONTEXT", "{}"))
    event = sys.stdin.buffer.read()
    try:
        sys.path.insert(0, directory)
        handler = getattr(importlib.import_module(module_name), handler_name)
        result = handler(event, _context(raw_context))
        if isinstance(result, (bytes, bytearray)):
            body = {"text": bytes(result).decode("utf-8")}
        elif isinstance(result, str):
            body = {"text": result}
        else:
            body = {"result": result}
        text = json.dumps(body)
    except Exception as err:  # FC reports every handler exception as its class name and message
        text = json.dumps({
            "errorType": type(err).__name__,
            "errorMessage": str(err),
            "stackTrace": traceback.format_tb(err.__traceback__),
        })
    answer.write(text)
    answer.flush()


if __name__ == "__main__":
    main()
