"""CLI commands of this stage (filled in by its issue)."""

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    pass
