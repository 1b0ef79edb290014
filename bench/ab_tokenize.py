#!/usr/bin/env python
"""The embedder's input side at two commits, side by side: the tokenizer and the no-op pipeline, alternating rounds.

    python bench/ab_tokenize.py BEFORE [--data_dir ../shared/corpus] [--rounds 9] [--out bench/ab-tokenize.json]

BEFORE is a commit of this repository. Its `ai4code_nb/dataset.py` is taken out with `git show` and loaded beside the
checkout's (the rest of the package is the checkout's). On every cell of the corpus's training split (as
`ai4code_bench --only embed` reads them), each round times `tokenize_flat` as `CellEmbedder.encode` calls it, then
`CellEmbedder.encode` with the encoder replaced by `NoOpEncoder`, first with BEFORE's `tokenize_flat`, then with the
checkout's. Both must give the same tokens. Wall time and the process's CPU time (all its threads: unlike the wall
time, not inflated when the machine's other tenants take the cores) are both kept. Writes the medians, the ratios,
the two commits and the machine.
"""
import argparse, importlib.util, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import ai4code_nb.dataset as after, ai4code_nb.embed as embed
from ai4code_nb.bench.data import bench_split
from ai4code_nb.bench.harness import cpu_model, package_commit
from ai4code_nb.bench.infer import NoOpEncoder
from ai4code_nb.data import read_cells_csv, write_atomic
from ai4code_nb.slots import SlotConfig

def load_before(commit):
    "BEFORE's dataset module, loaded under another name"
    src = subprocess.run(['git', 'show', f'{commit}:ai4code_nb/dataset.py'], capture_output=True, text=True)
    if src.returncode: sys.exit(f'{commit}: {src.stderr.strip()}')
    path = Path(tempfile.mkdtemp())/'dataset_before.py'; path.write_text(src.stdout)
    spec = importlib.util.spec_from_file_location('ai4code_nb.dataset_before', path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('before'); p.add_argument('--data_dir', default='../shared/corpus')
    p.add_argument('--rounds', type=int, default=9); p.add_argument('--out', default='bench/ab-tokenize.json')
    a = p.parse_args()
    before = load_before(a.before)
    work = bench_split(a.data_dir)
    try: cells = read_cells_csv(work/'train.csv')
    finally: shutil.rmtree(work, ignore_errors=True)
    texts = [embed.embedding_text(s, t) for s, t in zip(cells['source'].tolist(), cells['cell_type'].tolist())]
    emb = embed.CellEmbedder(embed.DEFAULT_ENCODER, SlotConfig().max_length, device='cpu', local_files_only=True)
    emb.encoder, n = NoOpEncoder(emb.dim), emb.max_length - 2
    tokenize = {'before': before.tokenize_flat, 'after': after.tokenize_flat}
    x, y = (f(emb.tokenizer, texts, n, cut_chars=6 * n) for f in tokenize.values())   # also the warm-up
    if not ((x[0] == y[0]).all() and (x[1] == y[1]).all()): sys.exit('the two commits give different tokens')
    seconds = {f'{k}_{s}': [] for k in ('tokenize', 'pipeline_noop') for s in tokenize}
    cpu = {k: [] for k in seconds}
    def timed(key, f, *args, **kw):
        t, c = time.perf_counter(), time.process_time(); f(*args, **kw)
        seconds[key].append(time.perf_counter() - t); cpu[key].append(time.process_time() - c)
    for _ in range(a.rounds):
        for side, f in tokenize.items():
            timed(f'tokenize_{side}', f, emb.tokenizer, texts, n, cut_chars=6 * n)
            embed.tokenize_flat = f   # what `encode` calls
            timed(f'pipeline_noop_{side}', emb.encode, texts)
    embed.tokenize_flat = after.tokenize_flat
    med = {k: statistics.median(v) for k, v in seconds.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    res = {'before': a.before, 'after': package_commit(), 'machine': f'{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}',
           'command': ' '.join(['python', *sys.argv]), 'cells': len(texts), 'tokens': int(len(y[0])), 'rounds': a.rounds,
           'cells_per_s': {k: len(texts) / v for k, v in med.items()},
           'speedup': {k: med[f'{k}_before'] / med[f'{k}_after'] for k in ('tokenize', 'pipeline_noop')},
           'cpu_seconds_median': cpu_med, 'cpu_speedup': {k: cpu_med[f'{k}_before'] / cpu_med[f'{k}_after'] for k in ('tokenize', 'pipeline_noop')},
           'seconds': seconds, 'cpu_seconds': cpu}
    write_atomic(Path(a.out), json.dumps(res, indent=1).encode())
    print(json.dumps({k: res[k] for k in ('before', 'after', 'machine', 'cells', 'cells_per_s', 'speedup', 'cpu_speedup')}, indent=1))

if __name__ == '__main__': main()
