"""The spreadsheet method, for benchmarks only: what a planner does by hand — projects by priority (highest first,
then in list order), each into the first block or factory (in ledger order) that still has room. Area rule only,
no carving."""
from __future__ import annotations

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix

from matching.instance import Instance
from matching.options import build_options
from matching.problem import build_problem


def greedy(A: csr_matrix, rhs: np.ndarray, priority: np.ndarray, col_project: np.ndarray,
           col_resource: np.ndarray) -> np.ndarray:
    """The spreadsheet method's 0/1 placement over the columns of ``A`` (rows and rhs of matching.problem)."""
    A = csc_matrix(A)
    slack = rhs.astype(float).copy()
    x = np.zeros(A.shape[1])
    order = np.lexsort((col_resource, col_project, -priority))
    done: set[int] = set()
    for c in order:
        p = int(col_project[c])
        if p in done:
            continue
        start, end = A.indptr[c], A.indptr[c + 1]
        r, a = A.indices[start:end], A.data[start:end]
        if np.all(slack[r] - a >= -1e-9):
            slack[r] -= a
            x[c] = 1
            done.add(p)
    return x


def spreadsheet_value(inst: Instance) -> tuple[float, int]:
    """Placed priority of the spreadsheet method on ``inst``'s options, and the number of options."""
    options = build_options(inst)
    problem = build_problem(inst, options)
    prio = inst.priority[options.project]
    x = greedy(problem.A, problem.rhs, prio, options.project, options.resource)
    return float(prio @ x), len(options)
