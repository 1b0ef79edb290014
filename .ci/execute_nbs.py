#!/usr/bin/env python
"""Execute notebooks in place the way `nbdev_test` runs them, and keep their outputs.

The write-up pages (nbs/12_optimizations_en.ipynb, nbs/13_optimizations_vi.ipynb) and the
quickstart show plots and tables that the docs must display, and Quarto does not execute
notebooks: their outputs are committed. This script refreshes them, for example after
`ai4code_bench` has written new figures to bench/results-*.json:

    python .ci/execute_nbs.py nbs/12_optimizations_en.ipynb nbs/13_optimizations_vi.ipynb nbs/10_quickstart.ipynb
    nbdev_clean

Cells are run with nbdev_test's rules: in the notebook's folder, with IN_TEST=1, skipping
`#| eval: false` cells and cells flagged with settings.ini's `tst_flags` (their old outputs are
cleared). A failing cell stops the run and leaves the notebook untouched (exit 1).
"""
import os, subprocess, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import extract_directives

def execute(fn: Path, skip_flags: set) -> float:
    "Run every cell of `fn` that nbdev_test would run, and write the notebook back with the outputs"
    nb = read_nb(fn)
    def no_eval(cell):
        if cell.cell_type != 'code': return True
        direc = extract_directives(cell, remove=False)
        skip = direc.get('eval:', [''])[0].lower() == 'false' or bool(skip_flags & direc.keys())
        if skip: cell.outputs = []
        return skip
    start = time.time()
    shell = CaptureShell(fn)
    with working_directory(fn.parent):
        try: shell.run_all(nb, exc_stop=True, preproc=no_eval)
        except Exception:
            sys.stderr.write(shell.prettytb(fname=fn) + '\n')
            raise SystemExit(f'{fn}: a cell failed; the notebook was not changed')
    write_nb(nb, fn)
    return time.time() - start

if __name__ == '__main__':
    if len(sys.argv) < 2: raise SystemExit(f'usage: {sys.argv[0]} NOTEBOOK.ipynb ...')
    if len(sys.argv) > 2:   # one fresh process per notebook, as nbdev_test runs them
        for name in sys.argv[1:]:
            if subprocess.run([sys.executable, __file__, name]).returncode: sys.exit(1)
        sys.exit(0)
    os.environ['IN_TEST'] = '1'
    flags = set(str(get_config().get('tst_flags', '')).split())
    print(f'{sys.argv[1]}: executed in {execute(Path(sys.argv[1]).resolve(), flags):.0f} s', flush=True)
