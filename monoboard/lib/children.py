"""Child processes that do not outlive the process that started them."""

from __future__ import annotations

import contextlib
import ctypes
import signal

PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """``preexec_fn`` for Popen: the child gets SIGTERM when its parent dies,
    even by SIGKILL (Linux; elsewhere nothing happens). A supervisor that is
    killed then leaves nothing serving behind it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
