"""Where the slot model's errors are: its choice of slot, or the order of the markdown cells inside one slot.

    python bench/slot_bounds.py CORPUS TEST_DIR [--label NAME] [--cache FILE] [--results_json bench/research-results.json]

Trains the default slot model (`SlotConfig()`, two stages) on all of CORPUS, scores TEST_DIR (a folder with
`test/*.json` and `test_orders.csv`, such as `bench/unseen_sources.py build OUT b`'s `OUT/T`), then decodes the same
logits again with part of the truth given, to bound what a better model of each part could add:

- `recall_at_k`: share of markdown cells whose true slot is among the model's k most likely slots;
- `true_slot_if_in_top_k`: tau when every cell whose true slot is in its top k gets all its mass on that slot,
  the rest decoded as before (what a perfect re-ranker of the top k slots would reach);
- `true_order_within_slot`: the predicted slots kept, the cells that share one put in their true order;
- `true_slot_predicted_order`: every cell in its true slot, ordered inside it as the model places it;
- `all_true`: both given (must be 1.0: a check of the decoding itself).

Records the figures under `slot_bounds: NAME` (default: TEST_DIR) in the results file. About 2 min with a warm embedding
cache (`--cache`, e.g. the `embeddings.npz` of the target command's `--work_dir`), about 10 min cold, on 2 CPU cores.
"""
import argparse, json, shlex, sys, time
from pathlib import Path

import numpy as np, pandas as pd, torch

from ai4code_nb.data import load_cells, merge_results
from ai4code_nb.submission import order_from_scores, orders_tau
from ai4code_nb.embed import CellEmbedder, embed_cells
from ai4code_nb.slots import SlotConfig, markdown_scores, notebook_items, slot_logits, slot_positions, train_slots

KS = (1, 2, 3, 5)

def decode(model, items, logits, rewrite=None):
    "The package's decoding of given logits (as `slot_scores`); `rewrite(item, positions)` may then change them"
    pos = [slot_positions(lg, it, model.monotone) for lg, it in zip(logits, items)]
    return markdown_scores(items, [rewrite(it, p) if rewrite else p for it, p in zip(items, pos)])

def true_rank_in_groups(slots, pct):
    "Each cell's place among the cells of its group (same slot), by true position, as a fraction in (0, 1)"
    frac = np.zeros(len(slots))
    for s in np.unique(slots):
        g = np.flatnonzero(slots == s); r = np.argsort(np.argsort(pct[g]))
        frac[g] = (r + 1) / (len(g) + 1)
    return frac

def with_true(slot_from, frac_from):
    "A `rewrite` for `decode`: each cell's slot and/or its place inside the slot with the true one"
    def f(it, s):
        k_pred = np.floor(s).astype(int) + 1; frac_pred = (s - (k_pred - 1) - 0.01) / 0.98
        true_slot = it.slot.numpy(); pct = it.pct_rank.numpy()
        k = true_slot if slot_from == 'true' else k_pred
        frac = true_rank_in_groups(k, pct) if frac_from == 'true' else np.clip(frac_pred, 0, 1)
        return k - 1 + 0.01 + 0.98 * frac
    return f

def main(a):
    torch.set_num_threads(2)
    t0 = time.time()
    train, _ = load_cells(a.corpus, 'train', progress=False)
    test, _ = load_cells(a.test_dir, 'test', orders=True, progress=False)
    cfg = SlotConfig()
    emb = CellEmbedder(cfg.encoder, cfg.max_length, cache_path=a.cache, local_files_only=True)
    items = {k: notebook_items(c, embed_cells(c, emb, cfg.max_chars, progress=True))
             for k, c in (('train', train), ('test', test))}
    if a.cache: emb.save()
    model, _ = train_slots(items['train'], cfg)
    test_items = items['test']   # the orders are known: every notebook with markdown has its slots
    logits = slot_logits(model, test_items)
    tau = lambda scores: round(orders_tau(test, order_from_scores(test, scores)), 4)
    res = {'notebooks': int(test.id.nunique()), 'markdown_cells': int(sum(len(it.slot) for it in test_items)),
           'test_tau': tau(decode(model, test_items, logits)), 'recall_at_k': {}, 'true_slot_if_in_top_k': {}}
    top = [lg.argsort(1, descending=True) for lg in logits]
    for k in KS:
        hits = [(t[:, :k] == it.slot[:, None]).any(1) for t, it in zip(top, test_items)]
        res['recall_at_k'][k] = round(float(torch.cat(hits).float().mean()), 4)
        new = []
        for hit, it, lg in zip(hits, test_items, logits):   # all the mass on the true slot where it is in the top k
            lg = lg.clone(); lg[hit] = -1e4; lg[hit, it.slot[hit]] = 0.0
            new.append(lg)
        res['true_slot_if_in_top_k'][k] = tau(decode(model, test_items, new))
    for name, sf, ff in [('true_order_within_slot', 'pred', 'true'), ('true_slot_predicted_order', 'true', 'pred'),
                         ('all_true', 'true', 'true')]:
        res[name] = tau(decode(model, test_items, logits, with_true(sf, ff)))
    res['seconds'] = round(time.time() - t0)
    res['command'] = shlex.join(['python'] + sys.argv)
    print(json.dumps(res, indent=1))
    if res['all_true'] != 1.0:
        raise SystemExit(f"slot_bounds: the truth decoded to tau {res['all_true']}, not 1.0: the decoding is wrong")
    merge_results(a.results_json, f'slot_bounds: {a.label or a.test_dir}', res)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('corpus', help='training folder (Kaggle layout)')
    p.add_argument('test_dir', help='folder with test/*.json and test_orders.csv')
    p.add_argument('--label', help='name of the test set in the results (default: TEST_DIR)')
    p.add_argument('--cache', help='embedding cache file (read and updated)')
    p.add_argument('--results_json', default='bench/research-results.json')
    a = p.parse_args()
    for d in (a.corpus, a.test_dir):
        if not Path(d).is_dir(): raise SystemExit(f'slot_bounds: error: {d}: no such folder')
    try: main(a)
    except (OSError, ValueError) as e: raise SystemExit(f'slot_bounds: error: {e}') from None
