#!/usr/bin/env python
"""Seconds of one `reorder_notebook` call with each of two slot checkpoints, alternating, in one process.

    python bench/reorder_latency.py BEFORE_DIR [AFTER_DIR] [--notebook F.ipynb] [--rounds 5]

AFTER_DIR defaults to the shipped model; BEFORE_DIR is e.g. `ai4code_nb/pretrained` of an older commit
(`git worktree add /tmp/old 5f7240c`). Each call loads its checkpoint and encoder afresh, as `ai4code_reorder` does;
printed: the median of each, after one untimed call that warms the file cache.
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path
import torch
from ai4code_nb.data import sample_dir
from ai4code_nb.predict import reorder_notebook, shipped_checkpoint

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('before'); p.add_argument('after', nargs='?', default=None)
    p.add_argument('--notebook', default=None); p.add_argument('--rounds', type=int, default=5)
    a = p.parse_args(argv)
    nb = Path(a.notebook) if a.notebook else sorted((sample_dir()/'ipynb').glob('*.ipynb'))[0]
    ck = {'before': a.before, 'after': a.after or str(shipped_checkpoint())}
    out, t = Path(tempfile.mkdtemp())/'out.ipynb', {k: [] for k in ck}
    for c in ck.values(): reorder_notebook(nb, out, c)
    for r in range(a.rounds):
        for k in (list(ck) if r % 2 == 0 else list(ck)[::-1]):
            s = time.perf_counter(); reorder_notebook(nb, out, ck[k]); t[k].append(time.perf_counter() - s)
    print(json.dumps({'notebook': nb.name, 'threads': torch.get_num_threads(), **ck,
                      **{f'{k}_median_s': round(statistics.median(v), 3) for k, v in t.items()}}))

if __name__ == '__main__': main()
