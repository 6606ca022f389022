"""The prompts of one prefill as a compressed prefix tree (trie): every distinct token prefix is computed once.

MEMO's windows of one answer are nested prefixes (q + a[:1], q + a[:6], ...), the answers of one question share
the question, and every chat prompt shares the system prompt; a prefill that computes each window's tokens on
its own pays for the question and the answer's start again in every window (on SmolLM2 that was 1821 prompt
tokens where 400 are distinct). Here the prompts, sorted, are split into groups by their longest common prefix
(LCP), recursively: a node is a segment of tokens shared by all prompts under it, computed once on top of its
parent's KV cache; a leaf is one prompt's own remaining tokens (at least one: its last logits pick its first
new token). `prefix_levels` lists the nodes by depth, so each depth is one batched forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """Tokens `encs[rep][start:end]` on top of node `parent` (its position in the previous level, -1: none).
    `leaf`: the prompt this node ends (None for a shared inner node)."""

    parent: int
    start: int
    end: int
    rep: int
    leaf: int | None


def _lcp(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def prefix_levels(encs: list[list[int]]) -> list[list[Node]]:
    """Nodes per depth (inner nodes first within a level, as visited in token order). Every prompt (non-empty)
    ends in exactly one leaf; a prompt's path from the root covers its tokens 0..len exactly once."""
    n = len(encs)
    order = sorted(range(n), key=lambda i: (encs[i], i))
    lcp = [_lcp(encs[order[k]], encs[order[k + 1]]) for k in range(n - 1)]
    levels: list[list[Node]] = []

    def add(level: int, node: Node) -> int:
        while len(levels) <= level:
            levels.append([])
        levels[level].append(node)
        return len(levels[level]) - 1

    def visit(lo: int, hi: int, depth: int, parent: int, level: int) -> None:
        """Prompts order[lo:hi] share tokens [0, depth), computed by `parent` (at level - 1)."""
        if hi - lo == 1:
            i = order[lo]
            add(level, Node(parent, depth, len(encs[i]), i, i))
            return
        shortest = min(len(encs[order[k]]) for k in range(lo, hi))
        m = min(min(lcp[lo:hi - 1]), shortest - 1)  # every prompt keeps a token of its own
        if m > depth:
            parent, level, depth = add(level, Node(parent, depth, m, order[lo], None)), level + 1, m
        start = lo
        for k in range(lo + 1, hi):  # children: runs sharing more than m; a prompt of length m + 1 is alone
            if lcp[k - 1] <= m or len(encs[order[k - 1]]) == m + 1 or len(encs[order[k]]) == m + 1:
                visit(start, k, depth, parent, level)
                start = k
        visit(start, hi, depth, parent, level)

    if n:
        visit(0, n, 0, -1, 0)
    return levels
