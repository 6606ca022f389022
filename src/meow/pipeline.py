"""`meow demo`: every stage in order (filled in by the demo issue)."""

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    pass
