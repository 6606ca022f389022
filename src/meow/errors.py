"""User-facing errors: one line, no traceback, exit code 2."""


class MeowError(Exception):
    """A user mistake (bad file, bad option, missing input). The CLI prints it as one line and exits 2."""

    def __init__(self, message: str):
        super().__init__(message.strip().replace("\n", " "))


def where(path: object, index: int | None = None, field: str | None = None) -> str:
    """Format a location like `data.json: record 3: field 'answer'` for error messages."""
    parts = [str(path)]
    if index is not None:
        parts.append(f"record {index}")
    if field is not None:
        parts.append(f"field '{field}'")
    return ": ".join(parts)


def warn(message: str) -> None:
    """An odd but legal request (`--top-k` above the candidates, an empty answer): one line on stderr, then go on.

    Every command words its warnings through this one function: `meow: warning: <message>`."""
    import sys

    print(f"meow: warning: {message.strip().replace(chr(10), ' ')}", file=sys.stderr)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the command's own account of what was kept; the CLI prints it instead of its generic line."""

    def __init__(self, message: str):
        super().__init__(message.strip().replace("\n", " "))
