#!/usr/bin/env python
"""Run nbdev's own docs processing of every notebook into _proc/, as `nbdev_docs` does before Quarto.

`nbdev.serve.proc_nbs` stops at the first notebook that fails; this runs the same processing
(`nbdev.serve_drv.main` with nbdev's `FilterDefaults` processors, on the files `proc_nbs` picks,
each notebook in its own spawned process) and reports every notebook: one line each, the first
line of the error for those that fail, exit 1 if any failed. It needs no Quarto and no network.
Also prints the sidebar nbdev would generate, and checks the pages that must be in it.
"""
import multiprocessing as mp, os, re, shutil, sys, time
from contextlib import redirect_stdout
from io import StringIO
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from fastcore.xtras import globtastic

MUST_BE_IN_SIDEBAR = ('index.ipynb', '12_optimizations_en.ipynb', '13_optimizations_vi.ipynb', '14_quickstart.ipynb')

def error_line(e) -> str:
    "nbdev's error for a failed notebook in one line: which cell, its first line, and the error inside it"
    lines = str(e).splitlines()
    where = lines[0].rstrip(' :') + (f" ({lines[1].strip()[:70]} ...)" if len(lines) > 1 else '')
    inner = [l for l in str(e.__cause__ or '').splitlines()
             if re.match(r'^[\w.]*(Error|Exception|Exit|Interrupt)\b', l) and not l.startswith('Exception: Error in notebook')]
    return where + (f": {inner[0]}" if inner else '')

if __name__ == '__main__':
    from nbdev.config import get_config
    from nbdev.serve import _proc_file
    from nbdev.processors import FilterDefaults
    from nbdev.quarto import nbdev_sidebar
    from nbdev.doclinks import nbglob
    import nbdev.serve_drv
    cfg = get_config()
    path, cache = cfg.nbs_path, cfg.config_path/'_proc'
    shutil.rmtree(cache, ignore_errors=True); cache.mkdir(parents=True)
    files = nbglob(path, func=Path, file_glob='', file_re='')
    for extra in ('_quarto.yml', '_brand.yml'):
        if (path/extra).exists(): files.append(path/extra)
    items = [o for o in files.map(_proc_file, cache=cache, path=path) if o]
    failed, start = [], time.time()
    with ProcessPoolExecutor(max_workers=int(os.environ.get('PROC_WORKERS', min(4, os.cpu_count() or 1))),
                             mp_context=mp.get_context('spawn')) as ex:
        futures = {ex.submit(nbdev.serve_drv.main, item): item[0].name for item in items}
        for fut in as_completed(futures):
            name, err = futures[fut], fut.exception()
            print(f"{'FAIL' if err else 'ok  '} nbdev processing {name} (done at {time.time() - start:.0f} s)"
                  + (f": {error_line(err)}" if err else ''), flush=True)
            if err: failed.append(name)
    buf = StringIO()   # the sidebar.yml nbdev_docs would write, printed instead of written
    with redirect_stdout(buf): nbdev_sidebar.__wrapped__(path=str(path), printit=True, force=True)
    missing = [p for p in MUST_BE_IN_SIDEBAR if f'- {p}' not in buf.getvalue()]
    print(f"{'FAIL' if missing else 'ok  '} sidebar holds {', '.join(MUST_BE_IN_SIDEBAR)}" + (f': missing {missing}' if missing else ''))
    if failed or missing:
        print(f"nbdev processing failed for {len(failed)} notebook(s): {', '.join(failed)}" if failed else '')
        sys.exit(1)
    print(f"nbdev processing: {len(items)} files into {cache.relative_to(cfg.config_path)}/")
