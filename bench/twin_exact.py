#!/usr/bin/env python
"""Check that `encode_ids` (plain ASCII texts through `lowercase_twin`, word by word) and `tokenize_flat` (as the embedder calls it) give the whole tokenizer's ids on real cells.

    python bench/twin_exact.py FOLDER [FOLDER ...] [--max_len 126]

FOLDER is a corpus in the competition's layout (`train/`, as `../shared/corpus`) or a test folder
(`test/`, as `bench/unseen_sources.py build`'s `OUT/T`). For every cell, two texts: what the embedder reads
(`embedding_text`) and the raw source (its first 3,000 characters). Each is tokenized by the default encoder's
Rust tokenizer with offsets, normaliser and all, by `encode_ids`, and by `tokenize_flat` with long texts cut first
(`cut_chars`, six characters a token, as `CellEmbedder.encode`); prints per folder how many texts differ in either,
and exits 1 if any does. About 3 minutes over the two corpora on 2 CPU cores.
"""
import argparse, sys
from pathlib import Path
from ai4code_nb.data import load_cells
from ai4code_nb.dataset import encode_ids, tokenize_flat
from ai4code_nb.embed import CellEmbedder, embedding_text

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('folders', nargs='+'); p.add_argument('--max_len', type=int, default=126)
    a = p.parse_args()
    tok = CellEmbedder(local_files_only=True).tokenizer
    total = differ = 0
    for d in a.folders:
        split = 'train' if (Path(d)/'train').is_dir() else 'test'
        cells, _ = load_cells(d, split, orders=False, progress=False)
        for kind, texts in (('embedded', [embedding_text(s, t) for s, t in zip(cells['source'], cells['cell_type'])]),
                            ('raw', [s[:3000] for s in cells['source']])):
            rust = tok._tokenizer; rust.no_padding(); rust.enable_truncation(a.max_len)
            whole = [e.ids for e in rust.encode_batch(texts, add_special_tokens=False)]
            n = sum(x != y for x, y in zip(whole, encode_ids(tok, texts, a.max_len)))
            flat, offsets = tokenize_flat(tok, texts, a.max_len, cut_chars=6 * a.max_len)
            n += sum(x != flat[i:j].tolist() for x, i, j in zip(whole, offsets[:-1], offsets[1:]))
            total += len(texts); differ += n
            print(f'{d} ({kind}): {len(texts)} texts, {n} differ', flush=True)
    print(f'all: {total} texts, {differ} differ')
    sys.exit(1 if differ else 0)

if __name__ == '__main__': main()
