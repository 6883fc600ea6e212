"""What the command line treats as bad input: one line on stderr and exit code 2."""

from __future__ import annotations

#: Exit status for bad input (argparse's own status for a bad command line).
BAD_INPUT = 2
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


class CLIError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def one_line(error: BaseException) -> str:
    """The error's message on one line (some libraries' messages span several)."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


#: Exception types that mean bad input rather than a bug. ValueError covers the
#: estimator's own checks (wrong width, NaN, bad parameter values) and is the base of
#: DataError and ModelFileError, which name the file; OSError covers unreadable paths
#: and an unreachable scheduler.
INPUT_ERRORS: tuple[type[BaseException], ...] = (CLIError, ValueError, OSError)
