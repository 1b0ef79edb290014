"""Research, not yet in the package: fine-tune MiniLM's top layers together with a first-stage slot model.

The default method keeps the encoder frozen. This script measures what training the encoder's top `K` layers
end to end with the slot loss buys, on notebooks from sources the training data lacks:

    python bench/joint_finetune.py CORPUS HOLD [--epochs 2] [--encoder_lr 5e-5] [--layers 2] [--test_dir DIR]

HOLD is a repository of CORPUS's `sources.csv` (a substring: `donnemartin`), held out and used as the test; or
`none` with `--test_dir DIR` (a folder with `test/*.json` and `test_orders.csv`, such as
`bench/unseen_sources.py build OUT a`'s `OUT/T`), training on all of CORPUS. With `--corpus_large CL --sets A B
--train_size N`, it trains on the first N notebooks of `bench/learning_curve.py`'s draw (the same holdouts and
left-out notebooks) and HOLD names one of that script's held-out sources (`'set unseen_a'`); the key then ends with
`, N training notebooks`. It prints and records under
`bench/research-results.json` (key `joint_finetune: <test>`):

- `frozen_one_stage`: the slot model's first stage on frozen embeddings (`SlotConfig(stages=1)`);
- `joint_one_stage`: the same model trained jointly with the top layers, after each epoch;
- `joint_encoder_head_retrained`: a fresh first stage trained on the fine-tuned encoder's embeddings;
- `frozen_two_stages`: the default (two stages, frozen), and `ensemble`: it averaged (log-probabilities)
  with the joint first stage.

The lower `6 - K` layers are run once per distinct text and kept (bf16); each step runs only the top layers
on one notebook's cells. Two CPU cores: about 6-7 min per epoch over 353 notebooks, 9-10 min over 420, 24 min
over 1,500 (each epoch also re-embeds every text).
"""
import argparse, copy, json, random, shlex, sys, time
from types import SimpleNamespace
from dataclasses import replace
from pathlib import Path

import numpy as np, pandas as pd, torch, torch.nn.functional as F
from transformers import get_linear_schedule_with_warmup

from ai4code_nb.data import load_cells, merge_results
from ai4code_nb.sampler import order_rows
from ai4code_nb.dataset import LengthSortedBatchSampler, load_tokenizer
from ai4code_nb.model import load_encoder, pool
from ai4code_nb.optim import optimizer_step
from ai4code_nb.submission import order_from_scores, orders_tau
from ai4code_nb.embed import DEFAULT_ENCODER, embedding_text, encoder_path, text_key
from ai4code_nb.slots import (SlotConfig, markdown_scores, notebook_items, slot_logits, slot_loss, slot_model_from_config,
                              slot_positions, train_slots)

def splits(corpus, hold, test_dir, a=None):
    if a is not None and a.corpus_large:   # the learning curve's split: its first `train_size` notebooks, one of its tests
        sys.path.insert(0, str(Path(__file__).parent))
        from learning_curve import draw_order, holdouts
        train, tests, _, corpus_ids = holdouts(corpus, a.corpus_large, a.sets)
        if hold not in tests: raise SystemExit(f'joint_finetune: HOLD must be one of {sorted(tests)} with --corpus_large')
        ids = train['id'].to_numpy()
        has_md = set(train.loc[train['cell_type'] == 'markdown', 'id'])   # notebook_items' notebooks, in its order
        items = [SimpleNamespace(id=i) for i in pd.unique(ids[order_rows(train)]) if i in has_md]
        kept = {it.id for it in draw_order(items, corpus_ids)[:a.train_size]}
        return train[train['id'].isin(kept)].reset_index(drop=True), tests[hold][0].reset_index(drop=True), hold
    cc, _ = load_cells(corpus, 'train', progress=False)
    if hold == 'none':
        if not test_dir: raise SystemExit('joint_finetune: HOLD none needs --test_dir')
        return cc, load_cells(test_dir, 'test', orders=True, progress=False)[0], str(test_dir)
    repo = pd.read_csv(Path(corpus)/'sources.csv', dtype=str).set_index('id')['repo']
    held = set(repo.index[repo.str.contains(hold, regex=False)])
    if not held: raise SystemExit(f'joint_finetune: no repository of {corpus}/sources.csv matches {hold!r}')
    return (cc[~cc.id.isin(held)].reset_index(drop=True), cc[cc.id.isin(held)].reset_index(drop=True),
            ', '.join(sorted(set(repo[list(held)]))))

def run_layers(layers, h, am):
    mask = (1.0 - am[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer in layers:
        h = layer(h, attention_mask=mask); h = h[0] if isinstance(h, tuple) else h
    return h

def main(a):
    torch.set_num_threads(2); torch.manual_seed(0)
    cells = dict(zip(('train', 'test', 'name'), splits(a.corpus, a.hold, a.test_dir, a))); name = cells.pop('name')
    texts, tid = [], {}
    def text_ids(c):
        out = []
        for s, k in zip(c['source'], c['cell_type']):
            t = embedding_text(s, k, 2000); key = text_key(t)
            if key not in tid: tid[key] = len(texts); texts.append(t)
            out.append(tid[key])
        return np.array(out)
    # each cell's "embedding" is its text id here: the vectors are filled in per encoder (`with_emb`)
    items = {k: notebook_items(c, text_ids(c).astype(np.float32)[:, None]) for k, c in cells.items()}
    ids_of = lambda X: X[:, 0].long()   # the text ids of an item's markdown or code cells
    path = encoder_path(DEFAULT_ENCODER)
    tok, enc = load_tokenizer(path, True), load_encoder(path, local_files_only=True).eval()
    K = a.layers; dim = enc.config.hidden_size
    ids = tok(texts, truncation=True, max_length=128, return_attention_mask=False)['input_ids']
    lens = np.array([len(i) for i in ids])
    t0, H = time.time(), [None] * len(texts)
    with torch.inference_mode():   # the frozen lower layers, once per text
        for b in LengthSortedBatchSampler(lens, 64):
            x = torch.zeros(len(b), lens[b].max(), dtype=torch.long); am = torch.zeros_like(x)
            for r, i in enumerate(b): x[r, :lens[i]] = torch.tensor(ids[i]); am[r, :lens[i]] = 1
            h = run_layers(enc.encoder.layer[:len(enc.encoder.layer) - K], enc.embeddings(input_ids=x), am)
            for r, i in enumerate(b): H[i] = h[r, :lens[i]].to(torch.bfloat16).clone()
    print(f'{len(texts)} texts, lower layers run once [{time.time() - t0:.0f}s]', flush=True)

    def embed(top, idx):
        idx = list(idx); h = torch.zeros(len(idx), int(lens[idx].max()), dim); am = torch.zeros(h.shape[:2])
        for r, i in enumerate(idx): h[r, :lens[i]] = H[i].float(); am[r, :lens[i]] = 1
        h = run_layers(top, h, am)
        return F.normalize(pool(h, am, 'mean'), dim=-1)
    def embed_all(top):
        out = torch.zeros(len(texts), dim)
        with torch.inference_mode():
            for b in LengthSortedBatchSampler(lens, 128): out[b] = embed(top, b)
        return out
    with_emb = lambda its, E: [replace(it, markdown=E[ids_of(it.markdown)], code=E[ids_of(it.code)]) for it in its]
    logits = lambda model, its: slot_logits(model.eval(), its)
    def tau(lgs, its):   # the package's decoding (`slot_scores`), on logits of one model or an average of two
        scores = markdown_scores(its, [slot_positions(lg, it) for lg, it in zip(lgs, its)])
        return round(orders_tau(cells['test'], order_from_scores(cells['test'], scores)), 4)

    res = {'test': name, 'train_notebooks': int(cells['train']['id'].nunique()),
           'test_notebooks': int(cells['test']['id'].nunique()),
           'layers': K, 'epochs': a.epochs, 'encoder_lr': a.encoder_lr, 'command': shlex.join(['python'] + sys.argv)}
    top0 = enc.encoder.layer[len(enc.encoder.layer) - K:]; E0 = embed_all(top0)
    one, two = SlotConfig(stages=1), SlotConfig()
    frozen_one = train_slots(with_emb(items['train'], E0), one, progress=False)[0]
    res['frozen_one_stage'] = tau(logits(frozen_one, with_emb(items['test'], E0)), items['test'])
    L2 = logits(train_slots(with_emb(items['train'], E0), two, progress=False)[0], with_emb(items['test'], E0))
    res['frozen_two_stages'] = tau(L2, items['test'])
    print(res, flush=True)

    top, head = copy.deepcopy(top0).train(), slot_model_from_config(dim, one)
    groups = [{'params': head.parameters(), 'lr': one.lr}, {'params': top.parameters(), 'lr': a.encoder_lr}]
    opt = torch.optim.AdamW(groups, weight_decay=one.weight_decay)
    tr = [it for it in items['train'] if it.slot is not None]; total = a.epochs * len(tr)
    sched = get_linear_schedule_with_warmup(opt, int(one.warmup_ratio * total), total)
    rng, t0, res['joint_one_stage'] = random.Random(0), time.time(), []
    for epoch in range(a.epochs):
        order = list(range(len(tr))); rng.shuffle(order); losses = []
        for j in order:
            it = tr[j]; u, inv = torch.unique(torch.cat([ids_of(it.markdown), ids_of(it.code)]), return_inverse=True)
            m = len(it.markdown_rows); e = embed(top, u.numpy())
            loss = slot_loss(head, replace(it, markdown=e[inv[:m]], code=e[inv[m:]]), one.prior_weight)
            opt.zero_grad(); loss.backward()
            optimizer_step(list(top.parameters()), opt, None, max_grad_norm=1.0)   # clips the encoder's layers, not the head
            sched.step()
            losses.append(loss.item())
        top.eval(); E1 = embed_all(top); top.train(); head.train()
        LJ = logits(head, with_emb(items['test'], E1)); head.train()
        res['joint_one_stage'].append({'epoch': epoch + 1, 'loss': round(float(np.mean(losses)), 4),
                                       'tau': tau(LJ, items['test']),
                                       'seconds': round(time.time() - t0, 1)})
        print(res['joint_one_stage'][-1], flush=True)
    top.eval(); E1 = embed_all(top)
    retrained = train_slots(with_emb(items['train'], E1), one, progress=False)[0]
    res['joint_encoder_head_retrained'] = tau(logits(retrained, with_emb(items['test'], E1)), items['test'])
    res['ensemble'] = tau([(x.log_softmax(1) + y.log_softmax(1)) / 2 for x, y in zip(L2, LJ)], items['test'])
    print(res, flush=True)
    size = f', {res["train_notebooks"]} training notebooks' if a.corpus_large else ''   # the curve's sizes apart
    merge_results(a.results_json, f'joint_finetune: {name}{size}', res)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('corpus'); p.add_argument('hold')
    p.add_argument('--test_dir'); p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--encoder_lr', type=float, default=5e-5); p.add_argument('--layers', type=int, default=2)
    p.add_argument('--corpus_large', help="train on the learning curve's split (bench/learning_curve.py); HOLD names its test")
    p.add_argument('--sets', nargs='*', default=[], help='with --corpus_large: the folders built by unseen_sources.py build')
    p.add_argument('--train_size', type=int, default=1500, help="with --corpus_large: the curve's first this many notebooks")
    p.add_argument('--results_json', default='bench/research-results.json')
    try: main(p.parse_args())
    except (OSError, ValueError) as e: raise SystemExit(f'joint_finetune: error: {e}') from None
