#!/usr/bin/env python
"""Variants of the slot model tried for 14x the data (issue 16), each scored on the learning curve's held-out sources.

    python bench/slot_variants.py VARIANT CORPUS CORPUS_LARGE --sets /tmp/unseen_a /tmp/unseen_b --cache EMB.npz
                                  [--sizes 420,all] [--results_json bench/research-results.json]

VARIANT is one of VARIANTS: a `SlotConfig` change, or a change of the model or the loss made here, in research code,
by replacing `ai4code_nb.slots.slot_model_from_config` or `slot_loss` for this process only. Every variant is one
stage (the first stage alone), so that they compare with `one stage` and cost minutes, not the two stages' seven fits,
but the last:

- `one stage`: the shipped recipe's first stage, as it is; `one stage, seed 1`: the same with other initial weights and
  another notebook order (how far the figures move by chance);
- `wider`: hidden 128, rank 128 (four times the MLP, twice the bilinear rank);
- `epochs 2` / `epochs 8`: half and twice the passes;
- `distance loss`: the cross-entropy plus the expected distance |slot - true| / (n + 1) under the predicted distribution;
- `attention`: a notebook-level term: the code cells (with their position) and the markdown cells go through two
  transformer layers together, so every markdown cell attends to every code cell and to the other markdown cells
  (as the first-place solution read the whole notebook); each markdown cell's contextual vector scores each slot,
  built from the code cells on either side, and that score is added to the slot model's logits;
- `two stages, attention in the second`: the shipped recipe (two stages), the second stage with the attention term.
"""
import json, math, shlex, sys
from pathlib import Path
import torch, torch.nn as nn, torch.nn.functional as F
import ai4code_nb.slots as S

sys.path.insert(0, str(Path(__file__).parent))
import learning_curve

class AttentionSlotModel(S.SlotModel):
    "The slot model plus a notebook-level attention term in its logits"
    def __init__(self, *args, width=128, layers=2, heads=4, **kw):
        super().__init__(*args, **kw)
        d = self.dim
        self.inp_md, self.inp_code = nn.Linear(d + S.N_CUES, width), nn.Linear(d + S.N_CODE_CUES + 16, width)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.1, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.q, self.slot = nn.Linear(width, width), nn.Linear(2 * width, width)
        self.edge = nn.Parameter(torch.zeros(2, width))   # stands for the code cell before the first / after the last
        self.width = width

    def attention_logits(self, M, C, cues, K):
        n = C.shape[0]
        pos = (torch.arange(n, dtype=M.dtype) + 0.5) / max(n, 1)
        angles = pos[:, None] * torch.arange(1, 9, dtype=M.dtype) * math.pi
        K = K if K is not None else torch.zeros(n, S.N_CODE_CUES, dtype=M.dtype)
        x = torch.cat([self.inp_code(torch.cat([C, K, angles.sin(), angles.cos()], 1)), self.inp_md(torch.cat([M, cues], 1))])
        h = self.enc(x[None])[0]
        hc, hm = h[:n], h[n:]
        slots = self.slot(torch.cat([torch.cat([self.edge[:1], hc]), torch.cat([hc, self.edge[1:]])], 1))   # (n+1, w)
        return self.q(hm) @ slots.T / math.sqrt(self.width)

    def forward(self, M, C, L, cues, K=None, X=None):
        logits, p_hat = super().forward(M, C, L, cues, K, X)
        return logits + self.attention_logits(M, C, cues, K), p_hat

def distance_loss(model, item, prior_weight=1.0, weight=1.0):
    "`slot_loss` plus `weight` x the expected |slot - true| / (n+1) under the predicted slot distribution"
    logits, p_hat = model(item.markdown, item.code, item.lexical, item.markdown_cues, item.code_cues, item.placement)
    dist = (torch.arange(logits.shape[1], dtype=logits.dtype)[None] - item.slot[:, None].to(logits.dtype)).abs() / logits.shape[1]
    return (F.cross_entropy(logits, item.slot) + prior_weight * (p_hat - item.pct_rank).abs().mean()
            + weight * (logits.softmax(1) * dist).sum(1).mean())

def use_attention():
    S.slot_model_from_config = lambda dim, cfg, placement=False: AttentionSlotModel(
        dim, cfg.rank, cfg.hidden, cfg.context, cfg.slot_features, cfg.monotone, placement)

def use_attention_second():
    plain = S.slot_model_from_config
    S.slot_model_from_config = lambda dim, cfg, placement=False: (AttentionSlotModel(
        dim, cfg.rank, cfg.hidden, cfg.context, cfg.slot_features, cfg.monotone, placement) if placement else plain(dim, cfg))

def use_distance_loss(): S.slot_loss = distance_loss

VARIANTS = {'one stage': ({'stages': 1}, None), 'one stage, seed 1': ({'stages': 1, 'seed': 1}, None), 'wider': ({'stages': 1, 'hidden': 128, 'rank': 128}, None),
            'epochs 2': ({'stages': 1, 'epochs': 2}, None), 'epochs 8': ({'stages': 1, 'epochs': 8}, None),
            'distance loss': ({'stages': 1}, use_distance_loss), 'attention': ({'stages': 1}, use_attention),
            'two stages, attention in the second': ({'stages': 2}, use_attention_second)}

def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in VARIANTS: raise SystemExit(f"slot_variants.py: the first argument is one of {list(VARIANTS)}")
    name, rest = argv[0], argv[1:]
    config, patch = VARIANTS[name]
    if patch: patch()
    if '--sizes' not in rest: rest += ['--sizes', '420,all']
    command = shlex.join(['python', 'bench/slot_variants.py'] + argv)
    return learning_curve.main(rest + ['--config', json.dumps(config), '--label', f'variant: {name}'], command=command)

if __name__ == '__main__': main()
