#!/usr/bin/env python
"""Average two slot checkpoints' scores (e.g. the frozen model shipped until 5f7240c and the tuned one shipped now) on test sets.

    git worktree add /tmp/frozen 5f7240c    # or any folder holding the older ai4code_nb/pretrained
    python bench/ensemble_shipped.py /tmp/frozen/ai4code_nb/pretrained --sets /tmp/unseen_a /tmp/unseen_b
                                     [--tuned DIR] [--cache EMB.npz] [--results_json F]

Each checkpoint embeds the sets' cells with its own encoder (a tuned one's vectors go to their own cache file), scores
them with `slot_scores`, and the weighted mean of the two score series (weight w on the second) is ordered as one.
Printed and recorded: each model's Kendall tau and the mean's at w = 0.3, 0.5, 0.7.
"""
import argparse, json, shlex, sys
from ai4code_nb.data import load_cells, read_orders, merge_results
from ai4code_nb.embed import CellEmbedder, embed_cells
from ai4code_nb.metrics import kendall_tau
from ai4code_nb.predict import shipped_checkpoint
from ai4code_nb.slots import load_slot_model, load_tuned, notebook_items, slot_scores
from ai4code_nb.submission import order_from_scores

def set_scores(folder, checkpoint, cache=None):
    "The cells of a test set built by unseen_sources.py, its true orders, and the checkpoint's slot scores of them"
    cells, _ = load_cells(f'{folder}/T', 'test', progress=False)
    model, cfg = load_slot_model(checkpoint)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, local_files_only=True, cache_path=cache, tuned=load_tuned(checkpoint))
    items = notebook_items(cells, embed_cells(cells, emb, cfg.max_chars, progress=True)); emb.save()
    return cells, read_orders(f'{folder}/T/test_orders.csv'), slot_scores(model, items)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('first'); p.add_argument('--tuned', default=None, help='the second checkpoint (default: the shipped model)')
    p.add_argument('--sets', nargs='+', required=True); p.add_argument('--cache', default=None)
    p.add_argument('--results_json', default=None); p.add_argument('--key', default='ensemble: frozen model shipped before + tuned model shipped now')
    a = p.parse_args(argv)
    second, out = a.tuned or str(shipped_checkpoint()), {}
    for folder in a.sets:
        (cells, truth, s1), (_, _, s2) = set_scores(folder, a.first, a.cache), set_scores(folder, second, a.cache)
        def tau(sc):
            o = order_from_scores(cells, sc); return round(kendall_tau([truth[i] for i in o], list(o.values())), 4)
        r = {'notebooks': len(truth), 'first': tau(s1), 'second': tau(s2),
             **{f'mean, weight {w} on the second': tau(w * s2 + (1 - w) * s1) for w in (0.3, 0.5, 0.7)}}
        print(folder, json.dumps(r), flush=True); out[folder] = r
    rec = {'command': shlex.join(['python', 'bench/ensemble_shipped.py'] + (argv or sys.argv[1:])), 'first': a.first, 'second': second, 'sets': out}
    if a.results_json: merge_results(a.results_json, a.key, rec)

if __name__ == '__main__': main()
