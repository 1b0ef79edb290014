#!/usr/bin/env python
"""Train the default method's model on corpus + corpus-large and write it where the package ships it.

    python bench/ship_model.py CORPUS CORPUS_LARGE [--out ai4code_nb/pretrained] [--cache EMB.npz]
                               [--exclude statsmodels,sktime,aif360,seaborn] [--results_json bench/research-results.json]
                               [--config '{"attention_layers": 2}'] [--config '{"tune_layers": 2}']

Every notebook of a repository named like a package of the held-out test sets (bench/unseen_sources.py
SETS a and b) is left out of training, so that scores on those sets measure ordering, not memory; how
many were left out is recorded. The embedding cache is the cost (about 200,000 distinct cell texts):
build it once (`--cache`), every later run reads it. Time and counts go to `--results_json`. With
`tune_layers` in the config, the encoder's top layers are tuned first (`tune_encoder`; on a GPU if torch sees
one) and shipped beside the slot model; their vectors go to a cache file of their own beside `--cache`
(`CellEmbedder.set_tuned`). The job can run in two stages, e.g. in two calls of a GPU machine: `--tune_only` writes
the tuned layers (`encoder_layers.safetensors`) to `--out` and stops; `--tuned_from DIR` reads them from a folder
(or file) instead of tuning, then embeds and trains as usual. The shipped layers are kept as int8 differences
from the frozen encoder's (`compress_layers`), after the slot model was trained on the float16 layers' vectors:
the two sets of vectors agree to within float rounding (`bench/compressed_layers.py`, recorded in
bench/research-results.json under `shipped_model`).
"""
import argparse, json, shlex, sys, time
from dataclasses import replace
from pathlib import Path
import pandas as pd
from ai4code_nb.data import load_cells, merge_results, ModelLoadError
from ai4code_nb.embed import CellEmbedder, embed_cells
from ai4code_nb.embed import tuned_depth, compress_layers, encoder_name, DEFAULT_ENCODER
from ai4code_nb.slots import SlotConfig, notebook_items, train_slots, save_slot_model, load_tuned, save_tuned, TUNED_WEIGHTS
from ai4code_nb.tune import tune_encoder
from ai4code_nb.bench.harness import package_commit
from ai4code_nb.runtime import AMP_CHOICES
sys.path.insert(0, str(Path(__file__).parent))
from score_shipped import machine   # the machine as score_shipped.py records it: architecture, threads, CPU, its vector extension

def held_out_packages() -> set:
    "The package names of the held-out test sets, normalized (lower case, `-` as `_`)"
    from unseen_sources import SETS
    return {name.lower().replace('-', '_') for s in SETS.values() for name, *_ in s}

def training_cells(corpora, exclude:set) -> tuple: # (cells table, {repo: notebooks left out})
    "Every corpus's cells, without the notebooks of repositories named like an excluded package"
    tables, dropped = [], {}
    for d in corpora:
        cells, _ = load_cells(d, progress=True)
        src = Path(d)/'sources.csv'
        if src.is_file():
            repo = pd.read_csv(src, dtype=str, keep_default_na=False).set_index('id')['repo']
            name = lambda r: {p.lower().replace('-', '_') for p in r.split('/')}
            bad = {i for i, r in repo.items() if name(r) & exclude}
            for i in bad & set(cells['id']): dropped[repo[i]] = dropped.get(repo[i], 0) + 1
            cells = cells[~cells['id'].isin(bad)]
        tables.append(cells)
    cells = pd.concat(tables, ignore_index=True)
    if cells.duplicated(['id', 'cell_id']).any(): raise SystemExit('two corpora share notebook ids')
    return cells, dropped

def write_notice(out, corpora, dropped:dict, tuned_layers:int=0, encoder:str=DEFAULT_ENCODER):
    "The pretrained model's NOTICE: every repository it learnt from, with its license, from the corpora's own tables"
    rows = []
    for d in corpora:
        for name in ('LICENSES.md', 'README.md'):
            f = Path(d)/name
            if not f.is_file(): continue
            for line in f.read_text().splitlines():
                cells = [c.strip() for c in line.strip('|').split('|')]
                if line.startswith('| ') and len(cells) >= 3 and '/' in cells[0] and not any(r in cells[0] for r in dropped):
                    rows.append(f"| {cells[0]} | {cells[1]} |")
            break
    (Path(out)/'NOTICE').write_text(
        "The model in this folder was trained on the cell sources of the notebooks of these public repositories,\n"
        "used under their licenses (copyright stays with the notebooks' authors). The notebooks themselves are not\n"
        "shipped: only the weights of a small slot model (see bench/ship_model.py)"
        + (f", and the top {tuned_layers} layers of the encoder {encoder}\n"
           + ("(sentence-transformers, Apache-2.0)" if encoder == DEFAULT_ENCODER else "(under its own license)") + " trained further "
           "on these notebooks, stored as their int8 differences\nfrom the original weights (encoder_layers.safetensors)" if tuned_layers else '')
        + ".\n\n"
        "| repository | license |\n|---|---|\n" + "\n".join(dict.fromkeys(rows)) + "\n")

def write_trained_ids(out, cells):
    "The ids of the notebooks the model learnt from, one a line: `ai4code_demo` says how many of its test notebooks they hold"
    (Path(out)/'trained_ids.txt').write_text('\n'.join(sorted(cells['id'].unique())) + '\n')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('corpora', nargs='+', help='Kaggle-layout folders (with sources.csv to exclude by repository)')
    p.add_argument('--out', default=str(Path(__file__).resolve().parent.parent/'ai4code_nb'/'pretrained'))
    p.add_argument('--cache', default=None, help='embedding cache (.npz), read and updated')
    p.add_argument('--exclude', default=None, help='comma-separated package names (default: the held-out sets)')
    p.add_argument('--results_json', default=None)
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--config', default='{}', help='SlotConfig fields to change, as JSON (e.g. {"attention_layers": 2})')
    p.add_argument('--tune_only', action='store_true', help='with tune_layers: write the tuned layers to --out and stop')
    p.add_argument('--tuned_from', default=None, help=f'a folder holding {TUNED_WEIGHTS} (or the file): use those layers, no tuning')
    p.add_argument('--amp', default='auto', choices=AMP_CHOICES,
                   help="the encoder's autocast while tuning and embedding (auto: bf16 where it pays); recorded as `precision`")
    a = p.parse_args(argv)
    for d in a.corpora:
        if not (Path(d)/'train').is_dir(): raise SystemExit(f'{d}: no train/ folder')
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    t0, cfg = time.time(), replace(SlotConfig(), **json.loads(a.config))
    given = None
    if a.tuned_from:
        f = Path(a.tuned_from); folder = f if f.is_dir() else f.parent if f.name == TUNED_WEIGHTS else None
        try: given = folder and load_tuned(folder)
        except ModelLoadError as e: raise SystemExit(str(e))   # a damaged file: one line naming it
        if not given: raise SystemExit(f'{a.tuned_from}: no {TUNED_WEIGHTS} there')
        if tuned_depth(given) != cfg.tune_layers: raise SystemExit(f'{a.tuned_from}: {tuned_depth(given)} tuned layers, the config says tune_layers={cfg.tune_layers}')
    if a.tune_only and (not cfg.tune_layers or a.tuned_from): raise SystemExit('--tune_only needs tune_layers in --config, and no --tuned_from')
    exclude = set(a.exclude.split(',')) if a.exclude else held_out_packages()
    cells, dropped = training_cells(a.corpora, exclude)
    print(f"{cells['id'].nunique()} notebooks, {len(cells)} cells; left out {sum(dropped.values())}: {dropped}", flush=True)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, amp=a.amp, local_files_only=True, cache_path=a.cache, tuned=given)
    t1 = time.time(); tuned = given or (tune_encoder(cells, cfg, emb) if cfg.tune_layers else None)
    t_tune = time.time() - t1   # the tuning alone; reading the corpora counts with the embedding, as before
    if a.tune_only:
        print(f"wrote {save_tuned(tuned, a.out)}: {cfg.tune_layers} layers tuned on {cells['id'].nunique()} notebooks in {t_tune:.0f}s")
        return
    E = embed_cells(cells, emb, cfg.max_chars, progress=True)
    emb.save()   # a tuned encoder's vectors to their own file beside the frozen cache
    t_embed = time.time() - t0 - t_tune
    items = notebook_items(cells, E, progress=True)
    model, history = train_slots(items, cfg, progress=True)
    t_train = time.time() - t0 - t_tune - t_embed
    record = {'command': shlex.join(['python', 'bench/ship_model.py'] + (argv or sys.argv[1:])),
              'corpora': a.corpora, 'config': json.loads(a.config), 'notebooks': int(cells['id'].nunique()), 'cells': len(cells),
              'left_out': dropped, 'excluded_packages': sorted(exclude),
              'seconds': {'tune': round(t_tune, 1), 'embed': round(t_embed, 1), 'train': round(t_train, 1)},
              'threads': torch.get_num_threads(), 'device': str(emb.device), 'precision': emb.precision,
              'machine': machine(), 'commit': package_commit(), **({'tuned_from': a.tuned_from} if a.tuned_from else {})}
    if tuned: tuned = compress_layers(tuned, emb.frozen_layers(cfg.tune_layers))   # int8 differences: half the bytes (07a_embed)
    save_slot_model(model, a.out, cfg, {'trained_on': record}, tuned)
    write_notice(a.out, a.corpora, dropped, cfg.tune_layers, encoder_name(cfg.encoder))
    write_trained_ids(a.out, cells)
    print(f"wrote {a.out}: {record}")
    if a.results_json: merge_results(a.results_json, 'shipped_model', record)

if __name__ == '__main__': main()
