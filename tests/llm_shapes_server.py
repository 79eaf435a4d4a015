#!/usr/bin/env python3
"""A chat-completions server that answers the way real servers do, for
crucible's end-to-end tests (tests/llm_shapes_test.py). Separate from the
scripted server (llm_test_server.py): this one imitates server *shapes*.

Usage: llm_shapes_server.py SHAPE CONFIG.json PORT_FILE [LOG_FILE]

SHAPE is one of (what each does, from its documentation and issue trackers):
  vllm      reasoning in message.reasoning_content (--reasoning-parser);
            errors {"object": "error", "message", "type", "code"}; unknown
            model 404 "The model `x` does not exist."; context overflow 400
            "This model's maximum context length is N tokens. However, you
            requested M tokens (...)"; usage always (stream: include_usage).
  llamacpp  llama-server with --reasoning-format none: <think>...</think> in
            the content; any model name is served; errors {"error": {"code",
            "message", "type"}}; overflow 400 exceed_context_size_error "the
            request exceeds the available context size"; usage always.
  ollama    /v1 of Ollama: reasoning in message.reasoning (delta.reasoning);
            unknown model 404 'model "x" not found, try pulling it first';
            a prompt over the context is truncated silently (no error);
            streamed usage only with stream_options.include_usage.
  openai    reasoning hidden (usage.completion_tokens_details.reasoning_tokens);
            errors {"error": {"message", "type", "param", "code"}}: 401
            invalid_api_key, 404 model_not_found, 400 context_length_exceeded;
            429 with retry-after-ms and x-ratelimit-* headers.
  deepseek  reasoning in reasoning_content; a non-streamed reply is preceded
            by blank keep-alive lines, a streamed one by ": keep-alive"
            comments; unknown model 400 "Model Not Exist"; 401
            "Authentication Fails".
  proxy     an OpenAI-compatible gateway (OpenRouter-like): answers with an
            event stream even when none was asked for, ": OPENROUTER
            PROCESSING" comments, reasoning in delta.reasoning, NO usage,
            errors as HTTP 200 with {"error": {...}} bodies, 429 with
            Retry-After as an HTTP date.

CONFIG (JSON): {"models": ["name", ...] (others are unknown; [] = any),
  "require_key": "sk-...", "n_ctx": 0 (context size in tokens, 4 chars
  each; 0 = unlimited), "cycle": [REPLY, ...]}. A REPLY:
  {"kind": "bump", "pattern": REGEX, "step": 1.0, "think_chars": 0}
      a reasoning model's answer: it first drafts (reasoning holding a
      SEARCH/REPLACE block and a fenced rewrite setting the number to
      -999, which it then rejects), then answers with a diff or a rewrite
      (whichever the prompt asks for) adding `step` to the number.
  {"kind": "long"}   thinks far beyond max_tokens: cut, finish_reason length
  {"kind": "error", "status": 429 | 500 | 503}  the shape's error body
LOG_FILE gets one JSON line per request: {"n", "model", "stream", "kind",
"prompt_chars", "max_tokens", "user"} where user is the last user message.
"""
import email.utils
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"n": 0}
DRAFT = "-999"


def current_program(messages):
    user = "\n".join(m.get("content", "") for m in messages if m.get("role") == "user")
    start = max(user.find("# Current program"), 0)
    m = re.search(r"```[^\n]*\n(.*?)```", user[start:], re.S)
    return m.group(1) if m else ""


def edit(program, pattern, new_value, as_diff):
    m = re.search(pattern, program, re.M)
    if not m:
        return "I cannot find anything to change."
    ls = program.rfind("\n", 0, m.start()) + 1
    le = program.find("\n", m.end())
    le = len(program) if le < 0 else le
    line = program[ls:le]
    new_line = line[: m.start(1) - ls] + new_value + line[m.end(1) - ls:]
    if as_diff:
        return (f"Change the constant to {new_value}.\n<<<<<<< SEARCH\n{line}\n=======\n"
                f"{new_line}\n>>>>>>> REPLACE\n")
    return f"Set the constant to {new_value}.\n```python\n{program[:ls]}{new_line}{program[le:]}```\n"


def bump(reply, messages):
    """(reasoning, answer) of a reasoning model."""
    program = current_program(messages)
    asks_diff = any("<<<<<<< SEARCH" in m.get("content", "") for m in messages
                    if m.get("role") == "user")
    m = re.search(reply["pattern"], program, re.M)
    value = float(m.group(1)) if m else 0.0
    answer = edit(program, reply["pattern"], f"{value + float(reply.get('step', 1.0)):.6g}", asks_diff)
    draft = ("Let me try a first idea.\n" + edit(program, reply["pattern"], DRAFT, True) +
             edit(program, reply["pattern"], DRAFT, False) +
             "No, that draft is wrong: a small step is better.\n" + "x" * int(reply.get("think_chars", 0)))
    return draft, answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- errors, in each shape's words ---------------------------------
    def error(self, status, message, etype, code=None, extra=None):
        shape = self.server.shape
        if shape == "vllm":
            body = {"object": "error", "message": message, "type": etype, "param": None,
                    "code": status}
        elif shape == "llamacpp":
            body = {"error": {"code": status, "message": message, "type": etype}}
        else:
            body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
        if shape == "proxy" and status not in (401, 402):
            body["error"]["code"] = status  # OpenRouter: the code, in an HTTP 200 body
            return self.send(200, json.dumps(body), extra=extra)
        self.send(status, json.dumps(body), extra=extra)

    def serve(self):
        shape, cfg = self.server.shape, self.server.cfg
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        messages = request.get("messages", [])
        model = request.get("model", "")
        stream = bool(request.get("stream"))
        max_tokens = request.get("max_tokens", request.get("max_completion_tokens")) or 4096
        prompt_chars = sum(len(m.get("content", "")) for m in messages)
        with LOCK:
            n = STATE["n"]
            STATE["n"] += 1
        cyc = cfg.get("cycle", [{"kind": "bump", "pattern": r"^C = ([-0-9.e]+)"}])
        reply = cyc[n % len(cyc)]
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        if self.server.log:
            with LOCK, open(self.server.log, "a") as f:
                f.write(json.dumps({"n": n, "model": model, "stream": stream, "kind": reply["kind"],
                                    "prompt_chars": prompt_chars, "max_tokens": max_tokens,
                                    "user": users[-1] if users else ""}) + "\n")
        key = cfg.get("require_key")
        if key and self.headers.get("Authorization", "") != "Bearer " + key:
            words = {"vllm": ("Unauthorized", "Unauthorized"),
                     "llamacpp": ("Invalid API Key", "authentication_error"),
                     "deepseek": ("Authentication Fails, Your api key: ****zzzz is invalid",
                                  "authentication_error"),
                     "proxy": ("No auth credentials found", "authentication_error")}
            msg, etype = words.get(shape, ("Incorrect API key provided.", "invalid_request_error"))
            return self.error(401, msg, etype, "invalid_api_key")
        known = cfg.get("models", [])
        if known and model not in known and shape != "llamacpp":
            if shape == "vllm":
                return self.error(404, f"The model `{model}` does not exist.", "NotFoundError")
            if shape == "ollama":
                return self.error(404, f'model "{model}" not found, try pulling it first', "api_error")
            if shape == "deepseek":
                return self.error(400, "Model Not Exist", "invalid_request_error", "invalid_request_error")
            if shape == "proxy":
                return self.send(400, json.dumps({"error": {"code": 400, "message":
                                                            f"{model} is not a valid model ID"}}))
            return self.error(404, f"The model `{model}` does not exist or you do not have access to it.",
                              "invalid_request_error", "model_not_found")
        n_ctx = int(cfg.get("n_ctx", 0))
        prompt_tokens = prompt_chars // 4 + 8
        if n_ctx and shape != "ollama":
            if shape == "llamacpp" and prompt_tokens > n_ctx:
                return self.error(400, "the request exceeds the available context size, try "
                                  "increasing it", "exceed_context_size_error")
            if shape != "llamacpp" and prompt_tokens + max_tokens > n_ctx:
                msg = (f"This model's maximum context length is {n_ctx} tokens. However, you requested "
                       f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, "
                       f"{max_tokens} in the completion). Please reduce the length of the messages or "
                       f"completion.")
                return self.error(400, msg, "BadRequestError" if shape == "vllm" else "invalid_request_error",
                                  "context_length_exceeded")
        if reply["kind"] == "error":
            status = int(reply.get("status", 500))
            extra = {}
            if status == 429:
                if shape == "openai":
                    extra = {"retry-after-ms": "200", "x-ratelimit-remaining-requests": "0",
                             "x-ratelimit-reset-requests": "200ms"}
                elif shape == "proxy":
                    extra = {"Retry-After": email.utils.formatdate(time.time() + 1, usegmt=True)}
                else:
                    extra = {"Retry-After": "0"}
            return self.error(status, "Rate limit reached" if status == 429 else "upstream overloaded",
                              "rate_limit_error" if status == 429 else "server_error", None, extra)
        if reply["kind"] == "long":
            reasoning, answer = "I will think about this for a long time. " * (max_tokens // 2), ""
        else:
            reasoning, answer = bump(reply, messages)
        self.answer(reasoning, answer, max_tokens, prompt_tokens, stream, request)

    def answer(self, reasoning, answer, max_tokens, prompt_tokens, stream, request):
        shape = self.server.shape
        # The model writes reasoning then answer; max_tokens (4 chars each) cuts it.
        budget = max_tokens * 4
        finish = "stop"
        if len(reasoning) + len(answer) > budget:
            finish = "length"
            if len(reasoning) >= budget:
                reasoning, answer = reasoning[:budget], ""
            else:
                answer = answer[: budget - len(reasoning)]
        completion_tokens = (len(reasoning) + len(answer)) // 4 + 1
        if shape == "llamacpp":
            content, rfield = f"<think>\n{reasoning}" + ("" if finish == "length" and not answer
                                                         else f"\n</think>\n\n{answer}"), None
        elif shape == "openai":
            content, rfield = answer, None
        else:
            content, rfield = answer, reasoning
        rname = "reasoning" if shape in ("ollama", "proxy") else "reasoning_content"
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        if shape == "openai":
            usage["completion_tokens_details"] = {"reasoning_tokens": len(reasoning) // 4}
        if stream or shape == "proxy":
            return self.stream(content, rname, rfield, finish, usage, request)
        msg = {"role": "assistant", "content": content}
        if rfield is not None:
            msg[rname] = rfield
        body = {"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model"),
                "choices": [{"index": 0, "message": msg, "finish_reason": finish}], "usage": usage}
        text = json.dumps(body)
        if shape == "deepseek":
            text = "\n\n\n" + text  # keep-alive blank lines while the model thinks
        extra = {"x-ratelimit-remaining-requests": "99"} if shape == "openai" else None
        self.send(200, text, extra=extra)

    def stream(self, content, rname, rfield, finish, usage, request):
        shape = self.server.shape
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def emit(text):
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        if shape == "proxy":
            emit(": OPENROUTER PROCESSING\n\n")
        if shape == "deepseek":
            emit(": keep-alive\n\n")

        def chunk(delta, fin=None):
            return "data: " + json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                          "model": request.get("model"),
                                          "choices": [{"index": 0, "delta": delta,
                                                       "finish_reason": fin}]}) + "\n\n"
        emit(chunk({"role": "assistant", "content": ""}))
        if rfield:
            for i in range(0, len(rfield), 64):
                emit(chunk({rname: rfield[i:i + 64], "content": ""}))
        for i in range(0, len(content), 64):
            emit(chunk({"content": content[i:i + 64]}))
        emit(chunk({}, finish))
        include = (request.get("stream_options") or {}).get("include_usage")
        if shape != "proxy" and (include or shape in ("vllm", "llamacpp")):
            emit("data: " + json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                        "choices": [], "usage": usage}) + "\n\n")
        emit("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main():
    shape = sys.argv[1]
    assert shape in ("vllm", "llamacpp", "ollama", "openai", "deepseek", "proxy"), shape
    cfg = json.load(open(sys.argv[2]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.shape, server.cfg = shape, cfg
    server.log = sys.argv[4] if len(sys.argv) > 4 else None
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    server.serve_forever()


if __name__ == "__main__":
    main()
