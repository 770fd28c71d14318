#!/usr/bin/env python3
# with-tty.py - runs a command on a pseudo-terminal and types $PASSPHRASE at each prompt that
# asks for a passphrase, for the tools (stock age) that read passphrases only from a terminal.
#
#   PASSPHRASE=secret with-tty.py age -p -o out.age in.txt
#
# Whatever the command prints on the terminal goes to our stderr, so give the command -o for
# its real output. Exits with the command's status (128+N when killed by signal N); a command
# still running after 60 seconds is killed.
import os
import pty
import select
import sys
import time

def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: with-tty.py COMMAND [ARGS...]\n")
        return 2
    pw = os.environ.get("PASSPHRASE", "").encode()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)
    seen = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        sys.stderr.buffer.write(data)
        sys.stderr.flush()
        seen += data
        # A prompt: some text about a passphrase, ending with ": " and no newline yet.
        tail = seen.split(b"\n")[-1]
        if b"passphrase" in tail.lower() and tail.rstrip().endswith(b":"):
            os.write(fd, pw + b"\n")
            seen = b""
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)

if __name__ == "__main__":
    sys.exit(main())
