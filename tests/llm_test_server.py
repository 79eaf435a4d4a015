#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat-completions server for crucible's tests.

Usage: llm_test_server.py SCRIPT.json PORT_FILE [LOG_FILE]

Listens on 127.0.0.1 with an ephemeral port, writes the port to PORT_FILE,
and answers POST .../chat/completions (and .../embeddings) until killed.
Each chat request takes the next reply of the script:

  {"sequence": [REPLY, ...],   # used first, in order
   "cycle": [REPLY, ...],      # then repeated forever
   "require_key": "sk-...",    # optional: 401 unless "Authorization: Bearer <key>"
   "judge": [REPLY, ...]}      # optional: novelty-judge requests (a user message
                               # asking for "VERDICT: DIFFERENT") take these
                               # instead, in order, the last one repeating

A REPLY is one of
  {"kind": "content", "content": "...", "prompt_tokens": 100, "completion_tokens": 50}
  {"kind": "bump", "pattern": REGEX, "step": 1.0, "as": "auto"|"diff"|"rewrite"|"nomatch"}
      finds REGEX (one group: a number) in the current program shown in the
      prompt and replies with a SEARCH/REPLACE diff (or a full rewrite in a
      fenced block) that adds `step` to that number ("auto": in the format
      the prompt asks for); "nomatch" replies with a
      diff whose SEARCH text is not in the program.
  {"kind": "fixed_edit"}       a diff whose SEARCH text is the program's first
                               (fixed, outside EVOLVE-BLOCK) line
  {"kind": "status", "status": 429, "retry_after": "0", "body": "..."}
  {"kind": "slow", "delay": 5.0, ...another reply...}  waits, then answers
  {"kind": "truncated"}        promises more bytes than it sends, then closes
  {"kind": "malformed"}        200 with a body that is not JSON
  {"kind": "no_choices"}       200 with JSON lacking "choices"

LOG_FILE gets one JSON line per request: {"n", "model", "kind", "authorization_ok"}
(never the header's value).
"""
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"n": 0, "judge": 0}


def current_program(messages):
    """The first fenced code block after '# Current program' (or 'Program A')."""
    user = "\n".join(m.get("content", "") for m in messages if m.get("role") == "user")
    start = user.find("# Current program")
    if start < 0:
        start = user.find("# Program A")
    if start < 0:
        start = 0
    m = re.search(r"```[^\n]*\n(.*?)```", user[start:], re.S)
    return m.group(1) if m else ""


def bump(reply, messages):
    program = current_program(messages)
    m = re.search(reply["pattern"], program, re.M)
    if not m:
        return "I cannot find anything to change."
    line_start = program.rfind("\n", 0, m.start()) + 1
    line_end = program.find("\n", m.end())
    line_end = len(program) if line_end < 0 else line_end
    line = program[line_start:line_end]
    value = float(m.group(1))
    new_value = value + float(reply.get("step", 1.0))
    new_text = f"{new_value:.6g}"
    new_line = line[: m.start(1) - line_start] + new_text + line[m.end(1) - line_start:]
    mode = reply.get("as", "auto")
    if mode == "auto":  # answer in the format the prompt asks for
        asks_diff = any("<<<<<<< SEARCH" in m.get("content", "") for m in messages
                        if m.get("role") == "user")
        mode = "diff" if asks_diff else "rewrite"
    if mode == "rewrite":
        new_program = program[:line_start] + new_line + program[line_end:]
        return f"Rewrite with a larger constant.\n```python\n{new_program}```\n"
    search = line if mode != "nomatch" else line + "  # this line is not in the program"
    return (f"Increase the constant.\n<<<<<<< SEARCH\n{search}\n=======\n{new_line}\n"
            f">>>>>>> REPLACE\n")


def fixed_edit(messages):
    program = current_program(messages)
    first = program.split("\n", 1)[0]
    return f"Edit the fixed header.\n<<<<<<< SEARCH\n{first}\n=======\n{first} # changed\n>>>>>>> REPLACE\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): expected for "slow" replies

    def serve(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            request = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json"}})
        script = self.server.script
        auth_ok = True
        if "require_key" in script:
            auth_ok = self.headers.get("Authorization", "") == "Bearer " + script["require_key"]
        if self.path.endswith("/embeddings"):
            text = request.get("input", "")
            vec = [float(text.count(c)) for c in "abcdefghijklmnopqrstuvwxyz0123456789=+-*/"]
            return self.send_json(200, {"data": [{"embedding": vec}]})
        users = [m.get("content", "") for m in request.get("messages", []) if m.get("role") == "user"]
        judge = "judge" in script and bool(users) and "VERDICT: DIFFERENT" in users[-1]
        with LOCK:
            counter = "judge" if judge else "n"
            n = STATE[counter]
            STATE[counter] += 1
        if judge:
            reply = script["judge"][min(n, len(script["judge"]) - 1)]
        else:
            seq = script.get("sequence", [])
            cyc = script.get("cycle", [{"kind": "content", "content": "nothing"}])
            reply = seq[n] if n < len(seq) else cyc[(n - len(seq)) % len(cyc)]
        if self.server.log:
            with LOCK, open(self.server.log, "a") as f:
                f.write(json.dumps({"n": n, "model": request.get("model"), "kind": reply["kind"],
                                    "judge": judge, "authorization_ok": auth_ok}) + "\n")
        if not auth_ok:
            # Like some hosted APIs, echo (part of) the key: crucible must redact it.
            given = self.headers.get("Authorization", "").replace("Bearer ", "")
            return self.send_json(401, {"error": {"message": f"Incorrect API key provided: {given}"}})
        self.answer(reply, request)

    def answer(self, reply, request):
        kind = reply["kind"]
        messages = request.get("messages", [])
        if kind == "slow":
            time.sleep(float(reply.get("delay", 5)))
            inner = dict(reply)
            inner["kind"] = inner.pop("then", "content")
            return self.answer(inner, request)
        if kind == "status":
            extra = {}
            if "retry_after" in reply:
                extra["Retry-After"] = str(reply["retry_after"])
            return self.send_json(int(reply["status"]),
                                  {"error": {"message": reply.get("body", "scripted error")}}, extra)
        if kind == "malformed":
            body = b'{"choices": [ {"message": '
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [')
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "no_choices":
            return self.send_json(200, {"id": "x", "object": "chat.completion"})
        if kind == "bump":
            content = bump(reply, messages)
        elif kind == "fixed_edit":
            content = fixed_edit(messages)
        else:
            content = reply.get("content", "")
        prompt_tokens = reply.get("prompt_tokens", sum(len(m.get("content", "")) for m in messages) // 4)
        completion_tokens = reply.get("completion_tokens", len(content) // 4)
        limit = request.get("max_tokens", request.get("max_completion_tokens"))
        if limit is not None:  # like a real server: the reply is cut at the limit
            completion_tokens = min(completion_tokens, int(limit))
        self.send_json(200, {
            "id": "chatcmpl-test", "object": "chat.completion", "model": request.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}})


def main():
    script = json.load(open(sys.argv[1]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.script = script
    server.log = sys.argv[3] if len(sys.argv) > 3 else None
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    server.serve_forever()


if __name__ == "__main__":
    main()
