"""The grid geometry both ruled-table readers share, and the PDF grid's fill and stitch,
on hand-made rules."""

from __future__ import annotations

from pipeline.read.geometry import Cell, cluster, connected, covered, crosses, find, lattice
from pipeline.read.pdf.ruled import Table, TextCell, fill, stitch
from pipeline.read.words import Word

XS, YS = [0.0, 100.0, 200.0, 300.0], [0.0, 20.0, 40.0, 60.0]


def _rules(skip_v: tuple[float, float] | None = None) -> tuple[list, list]:
    """A 3x3 ruled grid; ``skip_v`` = (x, y): no vertical rule at x in the band below y."""
    hs = [(y, XS[0], XS[-1]) for y in YS]
    vs = []
    for x in XS:
        if skip_v and x == skip_v[0]:
            vs += [(x, YS[0], skip_v[1]), (x, skip_v[1] + 20, YS[-1])]
        else:
            vs.append((x, YS[0], YS[-1]))
    return hs, vs


def test_cluster_means_close_positions() -> None:
    assert cluster([10.0, 0.0, 11.5, 30.0, 1.0], tol=2.5) == [0.5, 10.75, 30.0]
    assert cluster([0.0, 2.0, 4.0], tol=2.5) == [2.0]  # a chain is one position


def test_find_halves_paths() -> None:
    parent = [0, 0, 1, 2]
    assert find(parent, 3) == 0
    assert parent[3] == 1  # halved on the way


def test_crossing_and_covering_use_the_callers_tolerance() -> None:
    assert crosses((10.0, 0.0, 100.0), (102.0, 0.0, 20.0), tol=2.0)
    assert not crosses((10.0, 0.0, 100.0), (103.0, 0.0, 20.0), tol=2.0)
    segs = [(50.0, 0.0, 70.0)]
    assert covered(segs, 51.0, 0.0, 100.0, tol=2.0)  # 70 of 100 covered
    assert not covered(segs, 51.0, 0.0, 200.0, tol=2.0)
    assert not covered(segs, 53.0, 0.0, 100.0, tol=2.0)


def test_connected_keeps_grids_of_two_rules_each_way() -> None:
    hs, vs = _rules()
    far_h, far_v = [(500.0, 0.0, 10.0)], [(900.0, 400.0, 600.0)]  # a lone rule each way
    groups = connected(hs + far_h, vs + far_v, tol=2.0)
    assert [(len(h), len(v)) for h, v in groups] == [(4, 4)]


def test_lattice_spans_a_missing_rule() -> None:
    hs, vs = _rules(skip_v=(100.0, 20.0))  # no rule between columns 0 and 1 in band 1
    grid = lattice(hs, vs, 2.5, 2.0, Cell)
    assert grid.xs == tuple(XS) and grid.ys == tuple(YS)
    assert len(grid.cells) == 8
    merged = [c for c in grid.cells if c.c0 != c.c1]
    assert [(c.r0, c.r1, c.c0, c.c1, c.bbox) for c in merged] == [
        (1, 1, 0, 1, (0.0, 20.0, 200.0, 40.0))
    ]
    assert [(c.c0, c.c1) for c in grid.band(1)] == [(0, 1), (2, 2)]
    assert grid.bbox == (0.0, 0.0, 300.0, 60.0)


def _table(page: int, texts: list[tuple[float, float, str]]) -> tuple[Table, Table]:
    """A 3x3 table on ``page`` before and after its words are filled in."""
    hs, vs = _rules()
    grid = lattice(hs, vs, 2.5, 2.0, TextCell)
    empty = Table(grid.xs, grid.ys, grid.cells, page)
    words = [Word(x - 5, y - 4, x + 5, y + 4, t) for x, y, t in texts]
    full, rest = fill(empty, [*words, Word(400, 10, 410, 18, "outside")])
    assert [w.text for w in rest] == ["outside"]
    return empty, full


def test_fill_and_stitch_return_new_tables() -> None:
    empty, prev = _table(1, [(50, 10, "项目"), (150, 10, "数量"), (50, 50, "行政"), (150, 50, "3")])
    assert all(c.text == "" for c in empty.cells)  # fill left its input alone
    assert [c.text for c in prev.band(2)] == ["行政", "3", ""]
    _, nxt = _table(2, [(50, 10, "复议"), (50, 30, "其他"), (150, 30, "4")])
    a, b = stitch(prev, nxt)
    assert [c.text for c in a.band(2)] == ["行政复议", "3", ""]
    assert [c.text for c in b.band(0)] == ["", "", ""]
    assert [c.text for c in prev.band(2)] == ["行政", "3", ""]  # inputs unchanged
    assert [c.text for c in nxt.band(0)] == ["复议", "", ""]
    assert stitch(a, b) == (a, b)  # nothing left to rejoin
