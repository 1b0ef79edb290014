#!/usr/bin/env python
"""`ai4code_demo` at a base commit and at this working tree, alternating, each run from a cold work folder.

    python bench/demo_ab.py BASE [--rounds 3] [--results_json F --results_key K] [-- DEMO FLAGS ...]

BASE (a commit) is checked out in a temporary `git worktree` and imported first on the path; the working tree is
imported as installed. Each round runs both, in turn order swapped every round, with the same demo flags (default:
none, the bundled sample) and a fresh work folder, so no embedding cache is shared. Printed and recorded: each side's
taus (and whether they were the same in every round), the median seconds of every stage, the commits and the machine.
What a change to the demo may cost or save is read from the two columns of one run on one machine.
"""
import argparse, json, os, shlex, statistics, subprocess, sys, tempfile
from pathlib import Path
import torch
from ai4code_nb.data import merge_results
from ai4code_nb.runtime import resolve_amp
from score_shipped import machine   # bench/, beside this script

REPO = Path(__file__).resolve().parents[1]

def git(*args) -> str: return subprocess.run(['git', '-C', str(REPO), *args], check=True, capture_output=True, text=True).stdout.strip()

def run_side(tree:Path, flags:list, work:Path, key:str, out_json:Path) -> None:
    code = f"import sys; sys.argv = {['ai4code_demo', *flags, '--work_dir', str(work), '--out', str(work/'sub.csv'), '--results_json', str(out_json), '--results_key', key]!r}; " \
           "from ai4code_nb.demo import demo_cli; demo_cli()"
    env = {**os.environ, 'PYTHONPATH': str(tree)}
    subprocess.run([sys.executable, '-c', code], check=True, env=env, cwd=work.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    flags = argv[argv.index('--') + 1:] if '--' in argv else []
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument('base'); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--results_json', default=None); p.add_argument('--results_key', default='demo_ab')
    a = p.parse_args(argv[:argv.index('--')] if '--' in argv else argv)
    tmp = Path(tempfile.mkdtemp(prefix='demo_ab_')); base_tree = tmp/'base'
    git('worktree', 'add', '--detach', str(base_tree), a.base)
    sides = {'base': base_tree, 'this': REPO}; out_json = tmp/'runs.json'
    try:
        for r in range(a.rounds):
            for side in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
                print(f'round {r + 1}: {side}', flush=True)
                run_side(sides[side], flags, tmp/f'{side}_{r}', f'{side}_{r}', out_json)
    finally: git('worktree', 'remove', '--force', str(base_tree))
    runs = json.loads(out_json.read_text())
    res = {'command': shlex.join(['python', 'bench/demo_ab.py', *argv]), 'rounds': a.rounds, 'machine': machine(), 'encoder_autocast': str(resolve_amp('auto', 'cpu')[0] or 'off (fp32)'),
           'commits': {'base': git('rev-parse', '--short', a.base),
                       'this': git('rev-parse', '--short', 'HEAD') + (' + uncommitted changes' if git('status', '--porcelain', '--untracked-files=no') else '')}}
    for side in sides:
        rs = [runs[f'{side}_{r}'] for r in range(a.rounds)]
        res[side] = {'val_tau': rs[0]['val_tau'], 'test_tau': rs[0]['test_tau'],
                     'taus_same_every_round': all((x['val_tau'], x['test_tau']) == (rs[0]['val_tau'], rs[0]['test_tau']) for x in rs),
                     'median_seconds': {k: round(statistics.median(x['seconds'][k] for x in rs), 1) for k in rs[0]['seconds']}}
    print(json.dumps(res, indent=1))
    if a.results_json: merge_results(a.results_json, a.results_key, res)

if __name__ == '__main__': main()
