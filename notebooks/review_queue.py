# %% [markdown]
# # The review queue of a batch
#
# A percent-format notebook (runs as a script too: `python notebooks/review_queue.py`):
# extract the samples, then list every cell a person must look at, with its reason,
# the value read, the identities' suggestion and where in the source it came from.

# %%
from collections import Counter
from pathlib import Path

from pipeline.model.records import Status
from pipeline.run import collect, process

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
results = [process(p) for p in collect([SAMPLES])]

# %% [markdown]
# ## Per file: status, template, cells to review

# %%
for r in results:
    review = [c for c in r.cells if c.status == Status.REVIEW]
    ident = r.identification
    print(
        f"{Path(r.source).name:40s} {r.status:8s} {ident.template if ident else '-':5s} "
        f"{len(r.cells):4d} cells {len(review):3d} to review"
        + (f"  error at {r.error.stage}: {r.error.message}" if r.error else "")
    )

# %% [markdown]
# ## The queue

# %%
reasons: Counter[str] = Counter()
for r in results:
    for c in r.cells:
        if c.status != Status.REVIEW:
            continue
        reasons[c.reason or "?"] += 1
        where = f"p{c.origin.page} {c.origin.bbox}" if c.origin.page else f"line {c.origin.line}"
        print(
            f"{Path(r.source).name} {c.key.table}.{c.key.row}.{c.key.col}: read {c.value}, "
            f"suggest {c.suggestion}, {c.reason} ({where})"
        )
print(dict(reasons) or "nothing to review")

# %% [markdown]
# ## Cells the identities recovered

# %%
for r in results:
    for c in r.cells:
        if c.status == Status.INFERRED:
            print(f"{Path(r.source).name} {c.key.table}.{c.key.row}.{c.key.col} = {c.value}")
