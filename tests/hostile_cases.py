"""Candidates that misbehave, tried the same way against every way crucible
runs a candidate: a fresh interpreter per candidate (cli_e2e_test.py) and
the warm Python workers (python_adapter_test.py).

A unittest.TestCase mixing HostileCases in provides
  evaluate(source, env=None) -> (completed `crucible eval`, its JSON result),
  which also checks that no process of the candidate survived, and
  protected_dir, a directory the candidate must not write into (the
  problem or task directory).
"""
import os
import socket


class HostileCases:
    # Whether the candidate's REPORT (here its environment) reaches the
    # feedback, so that the test can see what the candidate saw.
    REPORT_IN_FEEDBACK = False

    def test_infinite_loop_times_out(self):
        p, r = self.evaluate("while True:\n    pass\n")
        self.assertEqual(r["outcome"], "timeout", r)
        self.assertEqual(p.returncode, 1)

    def test_fork_bomb_is_contained(self):
        _, r = self.evaluate("import os\nwhile True:\n    try:\n        os.fork()\n"
                             "    except OSError:\n        pass\n")
        self.assertIn(r["outcome"], ("timeout", "runtime_error", "memory_limit"))

    def test_memory_hog(self):
        _, r = self.evaluate("x = []\nwhile True:\n    x.append(' ' * 10**7)\n")
        self.assertEqual(r["outcome"], "memory_limit", r["feedback"])

    def test_crash_names_the_signal(self):
        _, r = self.evaluate("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
        self.assertEqual(r["outcome"], "runtime_error")
        self.assertIn("SIGSEGV", r["feedback"])

    def test_write_outside_its_directory(self):
        # Outside /tmp: the sandbox's /tmp is a private tmpfs, where writes
        # succeed and vanish.
        target = f"/var/tmp/crucible-escaped-{type(self).__name__}-{os.getpid()}.txt"
        _, r = self.evaluate(f"open({target!r}, 'w').write('x')\n")
        self.assertFalse(os.path.exists(target), "the candidate wrote outside its scratch directory")
        self.assertEqual(r["outcome"], "runtime_error")
        self.assertIn("Read-only file system", r["feedback"])
        inside = os.path.join(self.protected_dir, "escaped.txt")
        _, r = self.evaluate(f"open({inside!r}, 'w').write('x')\n")
        self.assertFalse(os.path.exists(inside), "the candidate wrote into the problem directory")
        self.assertEqual(r["outcome"], "runtime_error")

    def test_network_is_unreachable(self):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        try:
            _, r = self.evaluate(
                f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n")
        finally:
            server.close()
        self.assertEqual(r["outcome"], "runtime_error", r)

    def test_secrets_do_not_reach_the_candidate(self):
        env = dict(os.environ, OPENAI_API_KEY="sk-test-secret-123", GITHUB_TOKEN="ghp-secret-456")
        p, r = self.evaluate("import os\nREPORT = repr(dict(os.environ))\n", env=env)
        self.assertEqual(r["outcome"], "ok", r)
        if self.REPORT_IN_FEEDBACK:
            self.assertIn("CRUCIBLE_STAGE", r["feedback"])
        self.assertNotIn("sk-test-secret-123", p.stdout)
        self.assertNotIn("ghp-secret-456", p.stdout)
