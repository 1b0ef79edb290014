#!/usr/bin/env python
"""How far the shipped recipe's figures move with the seed, and what averaging the seeds' models buys, on test sets.

    python bench/ship_model.py CORPUS CORPUS_LARGE --config '{"tune_layers": 2, "seed": 1}' --tuned_from TUNED --out DIR1 ...
    python bench/seed_spread.py ai4code_nb/pretrained DIR1 DIR2 ... --sets /tmp/unseen_a /tmp/unseen_b
                                [--cache EMB.npz] [--amp off] [--results_json F] [--key K]

Every checkpoint must read the same encoder (the same tuned layers), so each set's cells are embedded once. Each
checkpoint then orders the set alone; so do the means of the first 2, 3, ... checkpoints' slot probabilities (an
ensemble: the median-slot decoding of the mean distribution). Printed and recorded: each one's pooled Kendall tau and
per package, the mean, lowest and highest of the single models, and the ensembles'.
"""
import argparse, json, shlex, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from ai4code_nb.data import load_cells, read_orders, merge_results
from ai4code_nb.embed import CellEmbedder, embed_cells, state_digest
from ai4code_nb.metrics import kendall_tau
from ai4code_nb.runtime import AMP_CHOICES
from ai4code_nb.slots import load_slot_model, load_tuned, notebook_items, slot_logits, slot_positions, markdown_scores
from ai4code_nb.submission import order_from_scores
from ai4code_nb.bench.harness import package_commit
sys.path.insert(0, str(Path(__file__).parent))
from score_shipped import machine

def load_all(checkpoints) -> tuple: # ({name: model}, the config and tuned layers they share)
    "The checkpoints' models; SystemExit unless they read one encoder with the same tuned layers"
    models, first = {}, None
    for ck in checkpoints:
        (model, cfg), tuned = load_slot_model(ck), load_tuned(ck)
        enc = (cfg.encoder, cfg.max_length, cfg.max_chars, tuned and state_digest(tuned), cfg.monotone)
        if first is None: first = (cfg, tuned, enc)
        elif enc != first[2]: raise SystemExit(f'{ck}: reads another encoder (or decodes otherwise) than {checkpoints[0]}')
        models[f'{ck} (seed {cfg.seed})'] = model
    return models, first[0], first[1]

def score_set(folder, models:dict, cfg, emb) -> dict:
    "Pooled and per-package tau of each model alone and of the probability means of the first k"
    cells, _ = load_cells(f'{folder}/T', 'test', orders=False, progress=False)
    cells = cells.reset_index(drop=True)
    truth = read_orders(f'{folder}/T/test_orders.csv')
    src = pd.read_csv(f'{folder}/sources.csv', dtype=str).set_index('id')['source']
    items = notebook_items(cells, embed_cells(cells, emb, cfg.max_chars, progress=True), progress=False)
    ids = list(truth)
    groups = {'pooled': ids, **{s: [i for i in ids if src[i] == s] for s in sorted(set(src[ids]))}}   # once, for every model
    probs = {name: [lg.float().softmax(1) for lg in slot_logits(m, items)] for name, m in models.items()}
    def tau_of(P):
        o = order_from_scores(cells, markdown_scores(items, [slot_positions(p.log(), it, cfg.monotone) for p, it in zip(P, items)]))
        return {s: round(kendall_tau([truth[i] for i in g], [o[i] for i in g]), 4) for s, g in groups.items()}
    alone = {name: tau_of(P) for name, P in probs.items()}
    names = list(probs)
    means = {f'mean of the first {k}': tau_of([sum(ps) / k for ps in zip(*(probs[n] for n in names[:k]))])
             for k in range(2, len(names) + 1)}
    pooled = [r['pooled'] for r in alone.values()]
    print(folder, {n: r['pooled'] for n, r in {**alone, **means}.items()}, flush=True)
    return {'notebooks': len(ids), 'alone': alone, 'ensembles': means,
            'single models': {'mean': round(float(np.mean(pooled)), 4), 'lowest': min(pooled), 'highest': max(pooled)}}

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('checkpoints', nargs='+'); p.add_argument('--sets', nargs='+', required=True)
    p.add_argument('--cache', default=None, help='embedding cache (.npz) of the sets, read and updated')
    p.add_argument('--amp', default='off', choices=AMP_CHOICES, help="the encoder's autocast (off: fp32)")
    p.add_argument('--results_json', default=None); p.add_argument('--key', default='seed spread: shipped recipe')
    a = p.parse_args(argv)
    t0 = time.time()
    models, cfg, tuned = load_all(a.checkpoints)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, amp=a.amp, local_files_only=True, cache_path=a.cache, tuned=tuned)
    sets = {folder: score_set(folder, models, cfg, emb) for folder in a.sets}
    emb.save()
    rec = {'command': shlex.join(['python', 'bench/seed_spread.py'] + (argv or sys.argv[1:])), 'sets': sets, 'amp': a.amp,
           'seconds': round(time.time() - t0, 1), 'machine': machine(), 'commit': package_commit()}
    if a.results_json: merge_results(a.results_json, a.key, rec)

if __name__ == '__main__': main()
