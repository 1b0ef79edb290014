#!/usr/bin/env python
"""Learning curve of the default method: train on 420 / 1,500 / 3,000 / all notebooks, score on held-out sources.

    python bench/learning_curve.py CORPUS CORPUS_LARGE --sets /tmp/unseen_a /tmp/unseen_b --cache EMB.npz
                                   [--sizes 420,1500,3000,all] [--config '{"stages": 1}'] [--label NAME]
                                   [--results_json bench/research-results.json]

The held-out sources, never trained on at any size:
- the test sets built by `unseen_sources.py build` (PyPI example notebooks, per package);
- whole repositories of CORPUS_LARGE (`HELD_OUT_REPOS`), with every notebook of their ancestor groups.
Left out of training as well, and counted: notebooks of repositories named like a package of a test set, and
notebooks whose markdown is mostly (`--overlap`, by exact text) found in a held-out notebook.

Each size is CORPUS (the demo's 420 notebooks) plus a seeded random draw from the rest of the pool, nested:
every size holds the smaller ones' notebooks. The largest ('all') is the whole pool left after the holdouts.
"""
import argparse, json, shlex, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
from ai4code_nb.data import load_cells, merge_results
from ai4code_nb.embed import CellEmbedder, embed_cells, embedding_text, text_key
from ai4code_nb.slots import SlotConfig, notebook_items, train_slots, slot_scores
from ai4code_nb.submission import order_from_scores
from ai4code_nb.metrics import kendall_tau

sys.path.insert(0, str(Path(__file__).parent))
from ship_model import held_out_packages, training_cells

# Mixed on purpose: a numerical-methods course, a Bayesian book, a library's docs, a deep-learning course,
# a practitioner's analyses, a gradient-boosting tutorial set (471 notebooks in all).
HELD_OUT_REPOS = ('GeostatsGuy/PythonNumericalDemos', 'AllenDowney/ThinkBayes2', 'shap/shap',
                  'mrdbourke/pytorch-deep-learning', 'WillKoehrsen/Data-Analysis', 'catboost/tutorials')

def repo_of(corpus) -> pd.Series:
    "Each notebook's repository, from the corpus's sources.csv"
    return pd.read_csv(Path(corpus)/'sources.csv', dtype=str, keep_default_na=False).set_index('id')['repo']

def markdown_keys(cells) -> pd.Series:
    "Per notebook, the set of its markdown cells' text keys"
    md = cells[cells['cell_type'] == 'markdown']
    keys = [text_key(embedding_text(s, 'markdown', 10**9)) for s in md['source']]
    return pd.Series(keys, index=md.index).groupby(md['id']).agg(set)

def content_overlap(train, held_out_keys:set, share=0.5) -> set:
    "Training notebooks whose markdown cells are mostly (>= `share`, by exact text) found in a held-out notebook"
    keys = markdown_keys(train)
    return {i for i, k in keys.items() if k and len(k & held_out_keys) >= share * len(k)}

def score(model, items, cells, groups:pd.Series) -> dict:
    "Pooled Kendall tau, and per group (package or repository) with its notebook count"
    orders = order_from_scores(cells, slot_scores(model, items))
    truth = cells.sort_values(['id', 'rank'], kind='stable').groupby('id', sort=False)['cell_id'].agg(list)
    ids = [i for i in truth.index if i in orders]
    tau = lambda g: round(kendall_tau([truth[i] for i in g], [orders[i] for i in g]), 4)
    out = {'pooled': tau(ids), 'notebooks': len(ids), 'groups': {}}
    for g, members in pd.Series(ids, index=ids).groupby(groups.reindex(ids).to_numpy()):
        out['groups'][g] = {'notebooks': len(members), 'tau': tau(list(members))}
    return out

def holdouts(corpus, corpus_large, sets=(), overlap=0.5) -> tuple:
    "(training cells, {test name: (cells, groups)}, setup figures, the corpus's ids): the pool less every holdout"
    pool, dropped = training_cells([corpus, corpus_large], held_out_packages())
    corpus_repo = repo_of(corpus)   # sources.csv lists every notebook of the corpus
    repo = pd.concat([corpus_repo, repo_of(corpus_large)])
    held_ids = set(repo.index[repo.isin(HELD_OUT_REPOS)]) & set(pool['id'])
    families = set(pool.loc[pool['id'].isin(held_ids), 'ancestor_id'])
    held = pool[pool['ancestor_id'].isin(families)]
    train = pool[~pool['ancestor_id'].isin(families)]
    tests = {'held-out repositories': (held, repo)}
    for k, s in enumerate(sets, 1):
        cells, _ = load_cells(Path(s)/'T', 'test', progress=False)
        src = pd.read_csv(Path(s)/'sources.csv', dtype=str).set_index('id')['source']
        tests[f'set {Path(s).name}'] = (cells.set_index(cells.index + k * 10**8), src)   # indices apart from the pool's
    held_keys = set().union(*[set().union(*markdown_keys(c).tolist()) for c, _ in tests.values()])
    overlap_ids = content_overlap(train, held_keys, overlap)
    train = train[~train['id'].isin(overlap_ids)]
    setup = {'left_out_by_package': dropped, 'held_out_repositories': list(HELD_OUT_REPOS),
             'held_out_notebooks': int(held['id'].nunique()), 'held_out_by_ancestor_only': int(held['id'].nunique()) - len(held_ids),
             'left_out_by_content': len(overlap_ids)}
    return train, tests, setup, set(corpus_repo.index)

def draw_order(train_items:list, corpus_ids:set, seed=0) -> list:
    "The training items in the curve's order: the corpus's first, then the rest in a seeded random order"
    first = [it for it in train_items if it.id in corpus_ids]
    return first + [train_items[i] for i in np.random.default_rng(seed).permutation(len(train_items))
                    if train_items[i].id not in corpus_ids]

def main(argv=None, command=None):   # command: what to record, when another script calls this one
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('corpus'); p.add_argument('corpus_large')
    p.add_argument('--sets', nargs='*', default=[], help='folders built by unseen_sources.py build')
    p.add_argument('--cache', default=None, help='embedding cache (.npz), read and updated')
    p.add_argument('--sizes', default='420,1500,3000,all')
    p.add_argument('--config', default='{}', help='SlotConfig fields to change, as JSON')
    p.add_argument('--label', default='slots')
    p.add_argument('--overlap', type=float, default=0.5)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--results_json', default=None)
    p.add_argument('--save_dir', default=None, help='also write each size\'s model to SAVE_DIR/<size>')
    p.add_argument('--append', action='store_true', help="add these sizes to the label's recorded curve (same setup)")
    a = p.parse_args(argv)
    import torch
    t0, cfg = time.time(), replace(SlotConfig(), **json.loads(a.config))
    train, tests, setup, corpus_ids = holdouts(a.corpus, a.corpus_large, a.sets, a.overlap)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, local_files_only=True, cache_path=a.cache)
    everything = pd.concat([train] + [c for c, _ in tests.values()])
    if not everything.index.is_unique: raise AssertionError('training and test rows share indices')
    E = embed_cells(everything, emb, cfg.max_chars, progress=True); emb.save()
    row = dict(zip(everything.index, range(len(everything))))
    items_of = lambda c: notebook_items(c, E[[row[i] for i in c.index]], progress=True)
    test_items = {k: (items_of(c), c, g) for k, (c, g) in tests.items()}
    train_items = items_of(train)
    ordered = draw_order(train_items, corpus_ids, a.seed)
    setup.update(pool_notebooks=len(train_items), setup_seconds=round(time.time() - t0, 1))
    print(json.dumps(setup), flush=True)
    curve = []
    for size in a.sizes.split(','):
        items = ordered if size == 'all' else ordered[:int(size)]
        t1 = time.time()
        model, _ = train_slots(items, cfg, progress=True)
        t_train = time.time() - t1
        if a.save_dir:
            from ai4code_nb.slots import save_slot_model
            save_slot_model(model, Path(a.save_dir)/str(len(items)), cfg)
        res = {'train_notebooks': len(items), 'train_seconds': round(t_train, 1),
               **{k: score(model, *v) for k, v in test_items.items()}}
        print(json.dumps({k: (v['pooled'] if isinstance(v, dict) else v) for k, v in res.items()}), flush=True)
        curve.append(res)
    record = {'command': command or shlex.join(['python', 'bench/learning_curve.py'] + (argv or sys.argv[1:])),
              'config': json.loads(a.config), **setup, 'threads': torch.get_num_threads(), 'curve': curve}
    key = f'learning_curve: {a.label}'
    if a.append and a.results_json and Path(a.results_json).is_file():   # the other sizes, measured by an earlier command
        before = json.loads(Path(a.results_json).read_text()).get(key)
        if before:
            same = {k: before[k] for k in setup if k != 'setup_seconds'} == {k: setup[k] for k in setup if k != 'setup_seconds'}
            if not same or before['config'] != record['config']: raise SystemExit(f'{a.results_json}: {key} was measured on another setup')
            sizes = {p['train_notebooks'] for p in curve}
            record['curve'] = sorted([p for p in before['curve'] if p['train_notebooks'] not in sizes] + curve,
                                     key=lambda p: p['train_notebooks'])
            record['command'] = [*(before['command'] if isinstance(before['command'], list) else [before['command']]), record['command']]
    if a.results_json: merge_results(a.results_json, key, record)
    return record

if __name__ == '__main__': main()
