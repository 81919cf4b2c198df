"""Which uncertain cells the identities pin down from firm cells alone.

The identities are a linear system over the canonical cells. Firm cells (confident reads,
printed blanks) are constants; every other cell — a doubtful read, a blank that may be a
lost cell, a value filled by the identities — is a variable. A variable is *pinned* when
the holding identities determine it whatever the other variables are: its coordinate is
zero in every vector of the system's null space. That is what "vouched for" means: an
identity that was spent filling one cell from another doubtful one leaves both unpinned,
so a weak read and the total made from it never confirm each other. Counts are never
negative, so variables alone on one side of an identity whose other cells are pinned and
balance are pinned too (all zero).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from pipeline.model.records import CellKey
from pipeline.model.taxonomy import Identity

_TOL = 1e-9

Value = float | int


def _null_space_pinned(rules: Sequence[Identity], variables: Sequence[CellKey]) -> set[CellKey]:
    """The variables whose coordinate vanishes in the null space of the rules' matrix."""
    if not variables:
        return set()
    index = {k: i for i, k in enumerate(variables)}
    rows = []
    for r in rules:
        row = np.zeros(len(variables))
        for k in r.lhs:
            if k in index:
                row[index[k]] += 1.0
        for k in r.rhs:
            if k in index:
                row[index[k]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > _TOL * max(1.0, float(s[0]))).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return set(variables)
    return {k for k, i in index.items() if np.all(np.abs(null[:, i]) < 1e-7)}


def _zero_sided(
    rule: Identity,
    open_cells: Collection[CellKey],
    values: Mapping[CellKey, Value | None],
) -> bool:
    """All open cells on one side, summing to zero: each is zero (counts are not negative)."""
    if not open_cells:
        return False
    on_lhs = [k in rule.lhs for k in open_cells]
    if not (all(on_lhs) or not any(on_lhs)):
        return False
    return all(values.get(k) == 0 for k in open_cells)


def pinned(
    rules: Iterable[Identity],
    variables: Collection[CellKey],
    values: Mapping[CellKey, Value | None],
) -> set[CellKey]:
    """The ``variables`` that the ``rules`` (identities that hold on ``values``) determine
    from the other cells alone; see the module docstring."""
    rules = list(rules)
    todo = sorted(variables, key=lambda k: (k.table, k.row, k.col))
    done: set[CellKey] = set()
    while True:
        found = _null_space_pinned(rules, todo)
        open_now = set(todo) - found
        for r in rules:
            open_cells = [k for k in r.cells if k in open_now]
            if _zero_sided(r, open_cells, values):
                found |= set(open_cells)
                open_now -= set(open_cells)
        if not found:
            return done
        done |= found
        todo = [k for k in todo if k not in found]
