#!/usr/bin/env python
"""Score the shipped model (ai4code_nb/pretrained) on a test set built by unseen_sources.py, without training.

    python bench/score_shipped.py OUT KEY [--cache EMB.npz] [--checkpoint DIR] [--results_json F] [--label NAME] [--amp A]

Writes OUT/sub_shipped.csv with `ai4code_nb.predict`'s own path (the slot model's orders, a validated submission), then
records the pooled and per-package Kendall tau with `unseen_sources.py score` under KEY in `--results_json`
(bench/demo-results.json, whose runs the demo page shows), the method named `--label` (`shipped model`). A
checkpoint that is not the shipped one belongs in bench/research-results.json, under a label that says what it is.
`--amp` is the encoder's autocast (`auto`, the default, is what `ai4code_predict` does: bf16 on a CPU where it pays,
such as one with AVX-512 bf16); a cache file holds one precision's vectors (its signature names it, and another
precision starts it afresh), so give each its own `--cache`. The record names the machine and the autocast the run used.
"""
import argparse, platform, shlex, sys, time
import torch
from pathlib import Path
import json
from ai4code_nb.bench.harness import cpu_model
from ai4code_nb.data import load_cells, merge_results
from ai4code_nb.embed import CellEmbedder
from ai4code_nb.predict import shipped_checkpoint
from ai4code_nb.runtime import resolve_amp, AMP_CHOICES
from ai4code_nb.slots import load_slot_model, load_tuned, predict_slots
from ai4code_nb.submission import write_submission

def model_record(checkpoint=None) -> dict:
    "What the model was trained on, as `ship_model.py` recorded it in its config"
    conf = json.loads((Path(checkpoint or shipped_checkpoint())/'slot_config.json').read_text())
    return {k: v for k, v in conf.get('trained_on', {}).items() if k in ('notebooks', 'cells', 'left_out', 'command')}

def machine() -> str:
    "Architecture, threads, CPU model (`cpu_model`, as the benchmark files name it) and torch's CPU capability (AVX2, AVX512, ...)"
    return f"{platform.machine()}, {torch.get_num_threads()} threads, {cpu_model()}, {torch.backends.cpu.get_cpu_capability()}"

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('out'); p.add_argument('key')
    p.add_argument('--cache', default=None, help='embedding cache (.npz) of the test cells, read and updated')
    p.add_argument('--checkpoint', default=None, help='default: the shipped model')
    p.add_argument('--results_json', default='bench/demo-results.json')
    p.add_argument('--label', default='shipped model', help="the method's name in the record")
    p.add_argument('--amp', default='auto', choices=AMP_CHOICES, help="the encoder's autocast")
    a = p.parse_args(argv)
    out, t0 = Path(a.out), time.time()
    if not (out/'T'/'test').is_dir(): raise SystemExit(f"{out/'T'/'test'}: no such folder (build it with unseen_sources.py build)")
    ck = a.checkpoint or shipped_checkpoint()
    (model, cfg), tuned = load_slot_model(ck), load_tuned(ck)   # a tuned encoder's layers, if the model read them
    cells, skipped = load_cells(out/'T', 'test', orders=False, progress=False)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, amp=a.amp, local_files_only=True, cache_path=a.cache, tuned=tuned)
    orders = predict_slots(cells, (model, cfg, tuned), embedder=emb)
    emb.save()
    write_submission(orders, out/'sub_shipped.csv', cells)
    print(f"{len(orders)} notebooks ordered in {time.time() - t0:.0f}s; skipped {len(skipped)}")
    sys.path.insert(0, str(Path(__file__).parent))
    import unseen_sources
    res = unseen_sources.score(out, out/'sub_shipped.csv')   # pooled, per package, per-notebook median
    merge_results(a.results_json, a.key, {
        'command': shlex.join(['python', 'bench/score_shipped.py'] + (argv or sys.argv[1:])), 'checkpoint': a.checkpoint or 'ai4code_nb/pretrained',
        'trained_on': model_record(a.checkpoint), 'test_dir': str(out/'T'), 'test_notebooks': res['notebooks'],
        'test_tau': {a.label: res['pooled']}, 'per_notebook_median_tau': res['per_notebook_median'],
        'repositories': {k: {'notebooks': v['notebooks'], 'test_tau': {a.label: v['tau']}}
                         for k, v in res.items() if isinstance(v, dict)}, 'seconds': round(time.time() - t0, 1),
        'machine': machine(), 'encoder_autocast': str(resolve_amp(a.amp, emb.device)[0] or 'off (fp32)')})

if __name__ == '__main__': main()
