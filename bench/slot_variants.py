#!/usr/bin/env python
"""Variants of the slot model tried for 14x the data (issue 16), each scored on the learning curve's held-out sources.

    python bench/slot_variants.py VARIANT CORPUS CORPUS_LARGE --sets /tmp/unseen_a /tmp/unseen_b --cache EMB.npz
                                  [--sizes 420,all] [--results_json bench/research-results.json]

VARIANT is one of VARIANTS: a `SlotConfig` change, or a change of the loss made here, in research code, by replacing
`ai4code_nb.slots.slot_loss` for this process only. Every variant is one
stage (the first stage alone), so that they compare with `one stage` and cost minutes, not the two stages' seven fits,
but the last:

- `one stage`: the shipped recipe's first stage, as it is; `one stage, seed 1`: the same with other initial weights and
  another notebook order (how far the figures move by chance);
- `wider`: hidden 128, rank 128 (four times the MLP, twice the bilinear rank);
- `epochs 2` / `epochs 8`: half and twice the passes;
- `distance loss`: the cross-entropy plus the expected distance |slot - true| / (n + 1) under the predicted distribution;
- `attention`: the package's `NotebookAttention` (`SlotConfig.attention_layers=2`): the code cells (with their
  position) and the markdown cells go through two transformer layers together, so every markdown cell attends to
  every code cell and to the other markdown cells (as the first-place solution read the whole notebook); each markdown
  cell's contextual vector scores each slot, built from the code cells on either side, added to the logits;
- `two stages, attention in the second`: the shipped recipe (two stages), the second stage with the attention term.
"""
import json, shlex, sys
from pathlib import Path
import torch, torch.nn.functional as F
import ai4code_nb.slots as S

sys.path.insert(0, str(Path(__file__).parent))
import learning_curve

def distance_loss(model, item, prior_weight=1.0, weight=1.0):
    "`slot_loss` plus `weight` x the expected |slot - true| / (n+1) under the predicted slot distribution"
    logits, p_hat = model(item.markdown, item.code, item.lexical, item.markdown_cues, item.code_cues, item.placement)
    dist = (torch.arange(logits.shape[1], dtype=logits.dtype)[None] - item.slot[:, None].to(logits.dtype)).abs() / logits.shape[1]
    return (F.cross_entropy(logits, item.slot) + prior_weight * (p_hat - item.pct_rank).abs().mean()
            + weight * (logits.softmax(1) * dist).sum(1).mean())

def use_distance_loss(): S.slot_loss = distance_loss

VARIANTS = {'one stage': ({'stages': 1}, None), 'one stage, seed 1': ({'stages': 1, 'seed': 1}, None), 'wider': ({'stages': 1, 'hidden': 128, 'rank': 128}, None),
            'epochs 2': ({'stages': 1, 'epochs': 2}, None), 'epochs 8': ({'stages': 1, 'epochs': 8}, None),
            'distance loss': ({'stages': 1}, use_distance_loss), 'attention': ({'stages': 1, 'attention_layers': 2}, None),
            'two stages, attention in the second': ({'attention_layers': 2}, None)}

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
