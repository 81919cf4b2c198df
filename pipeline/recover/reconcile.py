"""Reconcile the observed cells with the report's own arithmetic identities.

Rules (docs/contract.md): printed values stay as printed; an identity may fill a
cell that is blank-but-lost, unreadable or doubtfully read (status ``inferred``); it
never overrides a confident read: an identity that fails on legible values sends its
cells to ``review`` (``source_inconsistent``), with the implied value as ``suggestion``
where a single cell explains the failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from pipeline.model.config import Settings
from pipeline.model.records import (
    Cell,
    CellKey,
    Check,
    Evidence,
    Identification,
    Number,
    Observed,
    Origin,
    Reason,
    Status,
)
from pipeline.model.taxonomy import Identity, canonical_keys, identities
from pipeline.recover.confidence import Support, inferred, stands, supported
from pipeline.recover.evidence import pinned

_TOL = 1e-6

Value = float | int


def _sum(cells: Iterable[CellKey], values: Mapping[CellKey, Value | None]) -> Value | None:
    total: Value = 0
    for k in cells:
        v = values.get(k)
        if v is None:
            return None
        total += v
    return total


def _holds(ident: Identity, values: Mapping[CellKey, Value | None]) -> bool | None:
    lhs, rhs = _sum(ident.lhs, values), _sum(ident.rhs, values)
    if lhs is None or rhs is None:
        return None
    return abs(lhs - rhs) < _TOL


def _solve_for(
    ident: Identity, key: CellKey, values: Mapping[CellKey, Value | None]
) -> Value | None:
    """The value of ``key`` that makes ``ident`` hold, the others as given."""
    others_l = [k for k in ident.lhs if k != key]
    others_r = [k for k in ident.rhs if k != key]
    sl, sr = _sum(others_l, values), _sum(others_r, values)
    if sl is None or sr is None:
        return None
    return sr - sl if key in ident.lhs else sl - sr


def _clean(v: Value) -> Value:
    return int(round(v)) if abs(v - round(v)) < _TOL else v


def reconcile(
    ident: Identification,
    observed: Mapping[CellKey, Observed],
    alternatives: Mapping[str, Sequence[Mapping[CellKey, Observed]]] | None = None,
    settings: Settings | None = None,
) -> tuple[list[Cell], list[Check]]:
    cfg = Settings.resolve(settings)
    rules = identities(ident.applications_layout)
    keys = canonical_keys(ident.template, ident.applications_layout)
    obs = settle_alternatives(ident, observed, alternatives, cfg)
    return _reconcile(keys, obs, rules, cfg)


def settle_alternatives(
    ident: Identification,
    observed: Mapping[CellKey, Observed],
    alternatives: Mapping[str, Sequence[Mapping[CellKey, Observed]]] | None = None,
    settings: Settings | None = None,
) -> dict[CellKey, Observed]:
    """The observations with each over-full row's placement chosen: what :func:`reconcile`
    works from, kept by the store so a reviewer's correction can re-run it without the file."""
    cfg = Settings.resolve(settings)
    rules = identities(ident.applications_layout)
    obs = dict(observed)
    for options in (alternatives or {}).values():
        obs.update(_choose(options, obs, rules, cfg))
    return obs


def _choose(
    options: Sequence[Mapping[CellKey, Observed]],
    obs: Mapping[CellKey, Observed],
    rules: list[Identity],
    cfg: Settings,
) -> Mapping[CellKey, Observed]:
    """Pick the placement of an over-full row that the identities accept; flag a tie."""
    if all(_values_equal(options[0], o) for o in options[1:]):
        return options[0]
    fitting = []
    for o in options:
        trial = {
            **{k: v.number.value for k, v in obs.items()},
            **{k: v.number.value for k, v in o.items()},
        }
        touched = [r for r in rules if set(r.cells) & set(o)]
        if all(_holds(r, trial) is not False for r in touched):
            fitting.append(o)
    if len(fitting) == 1:
        return fitting[0]
    # no single placement fits: keep the first, but where the placements disagree, as
    # reads too weak to stand (a cell every placement reads alike stands as read)
    weak = cfg.unreadable_confidence - 0.01
    return {
        k: v
        if all(_same_read(v, o[k]) for o in options[1:])
        else Observed(
            k,
            Number(v.number.value, weak, note="cells do not line up with the columns"),
            v.origin,
            v.text,
        )
        for k, v in options[0].items()
    }


def _same_read(a: Observed, b: Observed) -> bool:
    return (a.number.value, a.number.blank) == (b.number.value, b.number.blank)


def _values_equal(a: Mapping[CellKey, Observed], b: Mapping[CellKey, Observed]) -> bool:
    return all(a[k].number.value == b[k].number.value for k in a)


class _Kind(Enum):
    """How far a cell's observation can be trusted before the identities speak."""

    FIRM = "firm"  # a confident read, or a printed blank: a constant
    DOUBT = "doubt"  # a read between the thresholds: kept, but needs an identity's vouching
    MAYBE = "maybe"  # a blank that may be a lost cell: 0 unless the identities say otherwise
    OPEN = "open"  # lost, unreadable or read too weakly: only the identities can give it


def _kind(o: Observed | None, cfg: Settings) -> _Kind:
    if o is None:
        return _Kind.OPEN
    ev, conf = o.evidence, o.number.confidence
    if ev == Evidence.READ:
        if conf >= cfg.firm_confidence:
            return _Kind.FIRM
        return _Kind.DOUBT if conf >= cfg.unreadable_confidence else _Kind.OPEN
    if ev == Evidence.UNTIED:
        return _Kind.OPEN  # it may be a neighbouring row's value: the identities decide
    if ev == Evidence.PRINTED_BLANK and conf >= cfg.firm_confidence:
        return _Kind.FIRM
    if ev in (Evidence.PRINTED_BLANK, Evidence.MAYBE_BLANK):
        return _Kind.MAYBE
    return _Kind.OPEN


def _reconcile(
    keys: list[CellKey], obs: Mapping[CellKey, Observed], rules: list[Identity], cfg: Settings
) -> tuple[list[Cell], list[Check]]:
    kinds = {k: _kind(obs.get(k), cfg) for k in keys}
    # 1. starting values: firm and doubtful reads as read, blanks as 0, the rest unknown
    start: dict[CellKey, Value | None] = {}
    for k in keys:
        kind = kinds[k]
        start[k] = None if kind == _Kind.OPEN else 0 if obs[k].number.blank else obs[k].number.value

    # 2. free cells: the open ones, and the non-firm cells of identities that fail as read
    free: set[CellKey] = {k for k in keys if start[k] is None}
    broken = [r for r in rules if _holds(r, start) is False]
    for r in broken:
        free |= {k for k in r.cells if k in kinds and kinds[k] != _Kind.FIRM}
    values: dict[CellKey, Value | None] = {k: (None if k in free else start[k]) for k in keys}

    # 3. propagate: an identity with one free cell left determines it
    _propagate(rules, values)

    # 4. final checks; the cells that explain the failures
    failing: list[Identity] = []
    holding: list[Identity] = []
    for r in rules:
        h = _holds(r, values)
        if h:
            holding.append(r)
        elif h is False:
            failing.append(r)
    in_failing: dict[CellKey, Identity] = {}
    culprit = _culprit(failing, rules, values)
    if culprit is not None:
        # one cell explains every failure: only it needs a person; the rest reconcile
        suggestions = {culprit[0]: culprit[1]}
        in_failing[culprit[0]] = failing[0]
    else:
        suggestions = _suggest(failing, values)
        for r in failing:
            for k in r.cells:
                in_failing.setdefault(k, r)
    for r in broken:
        if _holds(r, values) is None:
            # it failed as read and nothing settled it: any of its reads may be the wrong one
            for k in r.cells:
                in_failing.setdefault(k, r)

    # 5. evidence: which uncertain cells the holding identities pin down from firm ones
    uncertain = {k for k in keys if kinds[k] != _Kind.FIRM and values[k] is not None}
    vouched = pinned(holding, uncertain, values)
    checked = _checked(holding, kinds, obs, values)
    for r in _mended_on_guesses(rules, broken, kinds, start, values):
        for k in r.cells:
            in_failing.setdefault(k, r)

    cells: list[Cell] = []
    for k in keys:
        o = obs.get(k)
        kind = kinds[k]
        origin = o.origin if o else None
        read = None if o is None else 0 if o.number.blank else o.number.value
        conf = o.number.confidence if o else 0.0
        v = values[k]
        if o is not None and o.evidence == Evidence.UNTIED:
            # never stands, even where the sums hold: a whole row moved keeps them true
            hint = v if v is not None and (read is None or not _same(v, read)) else None
            cells.append(
                _cell(k, read, Status.REVIEW, min(conf, 0.5), origin, Reason.ROW_UNCERTAIN, hint)
            )
        elif k in in_failing:
            all_firm = all(kinds.get(c) == _Kind.FIRM for c in in_failing[k].cells)
            reason = Reason.SOURCE_INCONSISTENT if all_firm else Reason.IDENTITY_CONTRADICTS_READ
            shown = read if read is not None else v
            cells.append(
                _cell(k, shown, Status.REVIEW, min(conf, 0.5), origin, reason, suggestions.get(k))
            )
        elif v is None:
            reason = (
                Reason.NOT_FOUND
                if o is None or o.evidence == Evidence.LOST
                else Reason.UNDETERMINED
                if kind == _Kind.MAYBE
                else Reason.UNREADABLE
            )
            cells.append(_cell(k, read, Status.REVIEW, 0.0, origin, reason, None))
        elif kind == _Kind.FIRM:
            support = Support.CONFIRMED if k in checked else Support.UNCHECKED
            cells.append(_ok(k, v, supported(conf, support, cfg), origin, cfg))
        elif kind == _Kind.DOUBT and read is not None and not _same(v, read):
            # a doubtful read that the identities contradict: a person decides
            reason = Reason.IDENTITY_CONTRADICTS_READ
            cells.append(_cell(k, read, Status.REVIEW, conf, origin, reason, v))
        elif k not in vouched:
            cells.append(_unvouched(k, kind, read, v, conf, origin))
        elif read is not None and _same(v, read):
            # read (or a blank) that the identities confirm independently
            confirmed = supported(conf, Support.CONFIRMED, cfg)
            cells.append(_ok(k, v, confirmed, origin, cfg))
        else:
            cells.append(_cell(k, v, Status.INFERRED, inferred(cfg), origin, None, None))
    return cells, _checks(rules, cells)


def _mended_on_guesses(
    rules: Sequence[Identity],
    broken: Sequence[Identity],
    kinds: Mapping[CellKey, _Kind],
    start: Mapping[CellKey, Value | None],
    values: Mapping[CellKey, Value | None],
) -> list[Identity]:
    """The identities that failed as read and hold now because a blank was given a value,
    where one of their confident reads could be the wrong cell instead.

    An identity that fails as read has a wrong cell. Taking one of its blanks for a lost
    cell makes it hold; but a confident misread in it would make it fail just the same.
    The blank is the one to blame where it explains more failures than a confident cell
    could: it stands where two failing identities cross and the confident cell in one
    only, or the confident cell has an identity that holds as read (a misread breaks
    every identity it is in). Else either may be wrong, and every cell of the identity is
    in doubt. (A doubtful read the identities change goes to review itself; the
    calibration shows confident reads right where doubtful ones are not.)
    """
    held = [r for r in rules if _holds(r, start)]
    count = {k: sum(k in r.cells for r in broken) for r in broken for k in r.cells}
    out = []
    for r in broken:
        changed = [
            k
            for k in r.cells
            if kinds.get(k) == _Kind.MAYBE
            and (v := values.get(k)) is not None
            and ((s := start.get(k)) is None or not _same(v, s))
        ]
        if not changed or not _holds(r, values):
            continue
        most = max(count[k] for k in changed)
        firm = [k for k in r.cells if kinds.get(k) == _Kind.FIRM and count[k] >= most]
        if any(not any(k in h.cells for h in held) for k in firm):
            out.append(r)
    return out


def _read_as_given(o: Observed | None, kind: _Kind, v: Value | None) -> bool:
    """A cell whose value is its own read (firm or doubtful), not one the identities gave."""
    if o is None or v is None or kind not in (_Kind.FIRM, _Kind.DOUBT):
        return False
    read = 0 if o.number.blank else o.number.value
    return read is not None and _same(v, read)


def _checked(
    holding: list[Identity],
    kinds: Mapping[CellKey, _Kind],
    obs: Mapping[CellKey, Observed],
    values: Mapping[CellKey, Value | None],
) -> set[CellKey]:
    """The cells in an identity that holds on reads alone: each of its values was read as
    it stands, so the sum confirms every one of them independently (one filled by the
    identity itself confirms nothing)."""
    out: set[CellKey] = set()
    for r in holding:
        cells = set(r.cells)
        if all(_read_as_given(obs.get(c), kinds.get(c, _Kind.OPEN), values.get(c)) for c in cells):
            out |= cells
    return out


def _ok(k: CellKey, v: Value, conf: float, origin: Origin | None, cfg: Settings) -> Cell:
    """A value nothing contradicts: ok at or above ``ok_confidence``, else a person looks."""
    if stands(conf, cfg):
        return _cell(k, v, Status.OK, conf, origin, None, None)
    return _cell(k, v, Status.REVIEW, conf, origin, Reason.LOW_CONFIDENCE, None)


def _checks(rules: list[Identity], cells: list[Cell]) -> list[Check]:
    """Each identity on the values that go out: a reviewer sees a read the identities
    contradict fail its checks, as the cell shows it."""
    out = {c.key: c.value for c in cells}
    checks = []
    for r in rules:
        h = _holds(r, out)
        checks.append(Check(r.name, bool(h), r.cells, None if h is not None else "undetermined"))
    return checks


def _unvouched(
    k: CellKey, kind: _Kind, read: Value | None, v: Value, conf: float, origin: Origin | None
) -> Cell:
    """A value nothing independent confirms: a person looks, with the value to accept."""
    if kind == _Kind.DOUBT:
        return _cell(k, read, Status.REVIEW, conf, origin, Reason.LOW_CONFIDENCE, None)
    if kind == _Kind.MAYBE and read is not None and _same(v, read):
        return _cell(k, read, Status.REVIEW, min(conf, 0.5), origin, Reason.UNDETERMINED, None)
    # filled by identities that lean on doubtful reads nothing confirms
    return _cell(k, read, Status.REVIEW, 0.0, origin, Reason.UNCONFIRMED, v)


def _propagate(rules: list[Identity], values: dict[CellKey, Value | None]) -> dict[CellKey, Value]:
    """Fill open cells (``None`` in ``values``, in place) that the identities determine.

    An identity with one open cell determines it; one whose open cells all stand on one
    side, with the rest already balanced, makes them all zero (counts are not negative).
    """
    determined: dict[CellKey, Value] = {}
    changed = True
    while changed:
        changed = False
        for r in rules:
            open_cells = [k for k in r.cells if values.get(k) is None]
            if len(open_cells) == 1:
                k = open_cells[0]
                v = _solve_for(r, k, values)
                if v is not None and v >= -_TOL:
                    values[k] = determined[k] = _clean(v)
                    changed = True
            elif open_cells and (
                all(k in r.lhs for k in open_cells) or all(k in r.rhs for k in open_cells)
            ):
                side, other = (r.lhs, r.rhs) if open_cells[0] in r.lhs else (r.rhs, r.lhs)
                so = _sum(other, values)
                sk = _sum([k for k in side if values.get(k) is not None], values)
                if so is not None and sk is not None and abs(so - sk) < _TOL:
                    for k in open_cells:
                        values[k] = determined[k] = 0
                    changed = True
    return determined


def _same(a: Value, b: Value) -> bool:
    return abs(a - b) < _TOL


def _culprit(
    failing: list[Identity], rules: list[Identity], values: Mapping[CellKey, Value | None]
) -> tuple[CellKey, Value] | None:
    """The one cell whose change would make every identity hold, with that value.

    Only a cell where two failing identities cross (a row and a column) is localised;
    one failing identity alone cannot say which of its cells is wrong.
    """
    if len(failing) < 2:
        return None
    shared = set(failing[0].cells).intersection(*(r.cells for r in failing[1:]))
    found: list[tuple[CellKey, Value]] = []
    for k in sorted(shared, key=lambda c: (c.table, c.row, c.col)):
        v = _solve_for(failing[0], k, values)
        if v is None or v < -_TOL:
            continue
        trial = {**values, k: v}
        if all(_holds(r, trial) is not False for r in rules):
            found.append((k, _clean(v)))
    return found[0] if len(found) == 1 else None


def _suggest(
    failing: list[Identity], values: Mapping[CellKey, Value | None]
) -> dict[CellKey, Value]:
    """A cell shared by every failing identity it is in, all implying one value."""
    count: dict[CellKey, list[Identity]] = {}
    for r in failing:
        for k in r.cells:
            count.setdefault(k, []).append(r)
    out: dict[CellKey, Value] = {}
    for k, rs in count.items():
        if len(rs) < 2:
            continue
        implied = {(_solve_for(r, k, values)) for r in rs}
        if len(implied) == 1:
            v = implied.pop()
            if v is not None and v >= 0:
                out[k] = _clean(v)
    return out


def _cell(
    key: CellKey,
    value: Value | None,
    status: Status,
    confidence: float,
    origin: Origin | None,
    reason: Reason | None,
    suggestion: Value | None,
) -> Cell:
    return Cell(
        key=key,
        value=_clean(value) if isinstance(value, (int, float)) else None,
        status=status,
        confidence=round(float(confidence), 4),
        origin=origin or Origin(),
        reason=reason,
        suggestion=suggestion,
    )
