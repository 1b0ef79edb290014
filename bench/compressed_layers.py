#!/usr/bin/env python
"""How far the shipped model's int8 layers move the vectors from the float16 layers they were made from.

    python bench/compressed_layers.py FLOAT16_DIR [--checkpoint DIR] [--corpus ../shared/corpus] [--results_json F --key K] [--amp off]

FLOAT16_DIR holds the tuned layers as `gpu_tune.py tune` (or `ship_model.py --tune_only`) wrote them; the checkpoint
(default: the shipped model) holds them as `compress_layers` stored them. Both embed the 1,024 cells the embedding
benchmarks time (`ai4code_nb.bench.infer.sample_texts`); printed: the cosine of each pair of vectors (lowest, median),
the largest difference in any coordinate, and the two files' sizes.
"""
import argparse, json, shlex, sys
from pathlib import Path
import numpy as np
from ai4code_nb.bench.infer import sample_texts
from ai4code_nb.data import load_cells, merge_results
from ai4code_nb.embed import CellEmbedder, is_compressed
from ai4code_nb.runtime import AMP_CHOICES
from ai4code_nb.predict import shipped_checkpoint
from ai4code_nb.slots import load_tuned, TUNED_WEIGHTS

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('float16_dir'); p.add_argument('--checkpoint', default=None); p.add_argument('--corpus', default='../shared/corpus')
    p.add_argument('--results_json', default=None); p.add_argument('--key', default='compressed layers')
    p.add_argument('--amp', default='off', choices=AMP_CHOICES,
                   help="the encoder's autocast (default off: bf16's own rounding would hide the int8 layers')")
    a = p.parse_args(argv)
    ckpt = Path(a.checkpoint) if a.checkpoint else shipped_checkpoint()
    full, small = load_tuned(a.float16_dir), load_tuned(ckpt)
    if not full or is_compressed(full): raise SystemExit(f'{a.float16_dir}: no float16 {TUNED_WEIGHTS} there')
    if not small or not is_compressed(small): raise SystemExit(f'{ckpt}: no int8 {TUNED_WEIGHTS} there')
    texts = sample_texts(load_cells(a.corpus, 'train', progress=False)[0], 1024)
    x, y = (CellEmbedder(local_files_only=True, amp=a.amp, tuned=s).encode(texts) for s in (full, small))
    cos = (x * y).sum(1)
    r = {'cells': len(texts), 'cosine_min': round(float(cos.min()), 7), 'cosine_median': round(float(np.median(cos)), 7),
         'max_abs_difference': float(np.abs(x - y).max()), 'bytes_float16': (Path(a.float16_dir)/TUNED_WEIGHTS).stat().st_size,
         'bytes_int8': (ckpt/TUNED_WEIGHTS).stat().st_size, 'amp': a.amp, 'command': shlex.join(['python', 'bench/compressed_layers.py'] + (argv or sys.argv[1:]))}
    print(json.dumps(r, indent=1))
    if a.results_json: merge_results(a.results_json, a.key, r)

if __name__ == '__main__': main()
