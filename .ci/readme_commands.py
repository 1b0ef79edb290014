#!/usr/bin/env python
"""Run every command line of README.md and of the quickstart (nbs/14_quickstart.ipynb) as a new user would.

1. A fresh virtual environment, made by the README's main command itself: its first line,
   `pip install torch==2.13.0 -e . && ai4code_demo`, runs in the new environment from the clone, so
   with no dev extras (the newest fastcore), and `ai4code_demo` then runs as written, on the bundled notebooks.
2. The command lines are read from the files, never copied here, so the documents cannot drift from
   what CI runs: every line of README.md's `sh` blocks, then every `!` line and `%%bash` cell of the
   quickstart, in their order, each document in a work folder of its own prepared with tiny inputs
   (`my_notebooks/` from the bundled `.ipynb` files, `messy.ipynb`, `my_notebook.ipynb`, and under
   `kaggle/` a small competition layout with links where the quickstart expects its datasets).
   What is changed, and only there (each command is printed as it runs):
   - `ai4code_train`, also under torchrun and accelerate, gets speed flags appended (a tiny random
     encoder, 2 optimizer steps, 64 tokens): the documented runs are 5 epochs of a real model at 512
     tokens. argparse takes the last of a repeated flag, so they override what the line says;
   - `/kaggle/...` paths point into the work folder's `kaggle/`, and the repository's GitHub address
     (the quickstart installs from it) to this clone;
   - lines of the development tools (`nbdev_*`, `.[dev]`: .ci/run runs the test command, .ci/docs the
     docs) and the Kaggle download (an account and the network) are skipped, and said so.
3. `--help` of every console script of settings.ini.
Each command must exit 0 and write what it says (checked per program: the six preprocessed files,
checkpoints and the log, a submission with exactly the test notebooks, a reordered notebook with the
same cells, wheels, ...), written by that command. The last line is `readme_commands: N passed, N failed`;
the exit status is 1 if any failed.

Usage: python .ci/readme_commands.py [--venv DIR] [--keep]
  --venv DIR  use (and make, if missing) this environment instead of a fresh temporary one
  --keep      keep the temporary folder (its path is printed)
"""
import configparser, csv, json, os, re, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
samples = root/'ai4code_nb'/'samples'
REPO_URL = 'git+https://github.com/ai4code-nb/ai4code_nb'
# appended to every ai4code_train line, with --model_name_or_path TINY (a random 2-layer BERT): the documented runs
# (5 epochs of MiniLM or CodeBERT at 512 tokens) would take hours here; what they say is left as it is
SPEED = ['--max_steps', '2', '--md_max_len', '16', '--total_max_len', '64']
SKIP = [(re.compile(r'\bnbdev_|\.\[dev\]'), 'development tools: .ci/run runs the test command, .ci/docs the docs'),
        (re.compile(r'\bkaggle competitions\b|~/\.kaggle|\bunzip\b'), 'the Kaggle download needs an account and the network')]
results = []   # (what, ok)

def say(*a): print(*a, flush=True)

# --- extraction -------------------------------------------------------------------------------------
def logical_lines(text):
    "Shell lines with `\\` continuations joined, blank lines and comments dropped"
    out, cur = [], ''
    for l in text.splitlines():
        if l.rstrip().endswith('\\'): cur += l.rstrip()[:-1] + ' '; continue
        cur += l
        if cur.strip() and not cur.strip().startswith('#'): out.append(cur.strip())
        cur = ''
    return out

def readme_lines(path=root/'README.md'):
    "Every command line of README.md's sh blocks, in order"
    return [l for b in re.findall(r'^```sh\n(.*?)^```', path.read_text(encoding='utf-8'), re.S | re.M) for l in logical_lines(b)]

def quickstart_lines(path=root/'nbs'/'14_quickstart.ipynb'):
    "Every shell line of the quickstart: `!` lines and `%%bash` cells, in order"
    out = []
    for c in json.loads(path.read_text(encoding='utf-8'))['cells']:
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        if src.startswith('%%bash'): out += logical_lines('\n'.join(l for l in src.splitlines()[1:] if not l.startswith('#|')))
        else: out += [l[1:].strip() for l in logical_lines(src) if l.startswith('!')]
    return out

# --- running ----------------------------------------------------------------------------------------
def venv_env(venv):
    "A new user's environment: the machine's, with the fresh environment first on PATH, and none of CI's settings"
    drop = ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'PYTHONWARNINGS', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE')   # offline as it is: no hub
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, 'VIRTUAL_ENV': str(venv), 'PATH': f"{venv/'bin'}{os.pathsep}{env.get('PATH', '')}"}

def run(argv, cwd, env, timeout=900):
    t0 = time.time()
    exe = shutil.which(argv[0], path=env['PATH']) or argv[0]
    try: p = subprocess.run([exe, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e: return 124, f'timed out after {timeout}s', t0
    return p.returncode, p.stdout + p.stderr, t0

def py(env, code):
    "Run `code` with the environment's python; its stdout"
    return subprocess.run(['python', '-c', code], env=env, capture_output=True, text=True, check=True).stdout.strip()

def adapt(argv, ctx):
    "The changes this script makes to a documented command (see the module docstring), and a note saying which"
    notes, out = [], []
    for a in argv:
        b = a.replace(REPO_URL, str(root)).replace('/kaggle/', f"{ctx['work']}/kaggle/")
        if b != a: notes.append('paths'); a = b
        out.append(a)
    if out[0] == 'ai4code_train' or 'ai4code_nb.train' in out:
        out += ['--model_name_or_path', str(ctx['tiny']), *SPEED]; notes.append('speed flags')
    return out, sorted(set(notes))

# --- what each program must write -------------------------------------------------------------------
def opt(argv, *names, default=None):
    "The value of the last of the flags `names` (both spellings) in `argv`"
    val, names = default, {s for n in names for s in (n, n.replace('_', '-'))}
    for i, a in enumerate(argv[:-1]):
        if a in names: val = argv[i+1]
    return val

def positionals(argv):
    "The arguments of `argv` that are no flag: the documented lines put their positional arguments first"
    return [a for a in argv[1:] if not a.startswith('-')]

def fresh(p, t0):
    "`p` exists and was written since `t0` (a folder: something in it)"
    p = Path(p)
    if p.is_dir(): return any(f.stat().st_mtime >= t0 - 1 for f in p.rglob('*') if f.is_file())
    return p.is_file() and p.stat().st_mtime >= t0 - 1

def ids_of(sub):
    with open(sub, newline='') as f: return {r['id'] for r in csv.DictReader(f)}

def check(argv, cwd, t0, env):
    "A list of problems with what `argv` wrote (empty: it wrote what it says)"
    prog, w = argv[0], Path(cwd)
    def need(cond, msg): return [] if cond else [msg]
    if prog in ('torchrun', 'accelerate') and 'ai4code_nb.train' in argv:
        n = int(opt(argv, '--nproc_per_node', '--num_processes', default='1'))
        probs = check(['ai4code_train', *argv[argv.index('ai4code_nb.train')+1:]], cwd, t0, env)
        out = w/opt(argv, '--output_dir', default='outputs')
        if not probs:
            world = py(env, f"from ai4code_nb.train import load_trainer_state; print(load_trainer_state({str(out/'last')!r})['world_size'])")
            probs += need(world == str(n), f"trained as {world} process(es), not {n}")
        return probs
    if prog == 'ai4code_convert':
        src, dst = positionals(argv)[:2]; split = opt(argv, '--split', default='train')
        n = len(list((w/src).rglob('*.ipynb')))
        orders = w/dst/f'{split}_orders.csv'
        if not fresh(orders, t0): return [f'{orders} not written']
        ids = ids_of(orders)
        return need(len(ids) == n and all((w/dst/split/f'{i}.json').is_file() for i in ids), f'{len(ids)} notebooks converted, not {n}')
    if prog == 'ai4code_preprocess':
        out = w/opt(argv, '--output_dir', '--out_dir', default='data')
        return [f'{out/f} not written' for f in ('train_mark.csv', 'train_fts.json', 'train.csv', 'val_mark.csv', 'val_fts.json', 'val.csv') if not fresh(out/f, t0)]
    if prog == 'ai4code_train':
        out = w/opt(argv, '--output_dir', default='outputs')
        probs = [f'{out/d} not written' for d in ('last', 'trainer_state.json') if not fresh(out/d, t0)]
        if opt(argv, '--val_mark_path', default='x') != '': probs += need(fresh(out/'best', t0), f'{out}/best not written')
        if not probs: probs += need(json.loads((out/'trainer_state.json').read_text())['log_history'], 'empty log_history')
        if opt(argv, '--report_to') == 'tensorboard': probs += need(any((out/'runs').rglob('events.out.tfevents*')), f'no TensorBoard events in {out}/runs')
        return probs
    if prog in ('ai4code_demo', 'ai4code_predict'):
        sub = w/opt(argv, '--out', default='submission.csv')
        if prog == 'ai4code_predict': test = w/opt(argv, '--data_dir', default='.')
        else: test = w/opt(argv, '--test_dir') if opt(argv, '--test_dir') else samples   # ai4code_demo's default: the bundled test notebooks
        if not fresh(sub, t0): return [f'{sub} not written']
        want = {p.stem for p in (test/'test').glob('*.json')}
        return need(ids_of(sub) == want, f'{sub}: {len(ids_of(sub))} notebooks, not the {len(want)} of {test}/test')
    if prog == 'ai4code_reorder':
        src, dst = (w/p for p in positionals(argv)[:2])
        if not fresh(dst, t0): return [f'{dst} not written']
        cells = lambda p: sorted(''.join(c['source']) for c in json.loads(p.read_text())['cells'])
        return need(cells(src) == cells(dst), f'{dst} does not hold the cells of {src}')
    if prog == 'pip' and argv[1:2] == ['wheel']:
        wheels = w/opt(argv, '-w', '--wheel-dir')
        names = [a for a in positionals(argv[1:]) if a != str(wheels)]
        have = {f.name.split('-')[0].lower() for f in wheels.glob('*.whl')}
        want = {('ai4code_nb' if a == str(root) else a).replace('-', '_').lower() for a in names}
        return need(want <= have, f'wheels missing in {wheels}: {sorted(want - have)}')
    return []

def attempt(what, argv, cwd, env, shown):
    say(f'\n$ {shown}')
    rc, log, t0 = run(argv, cwd, env)
    probs = [f'exit status {rc}'] if rc else check(argv, cwd, t0, env)
    ok = not probs
    say(f"  {'ok' if ok else 'FAILED: ' + '; '.join(probs)} ({time.time() - t0:.0f} s)")
    if not ok: say('  | ' + '\n  | '.join(log.strip().splitlines()[-40:]))
    results.append((what, ok))
    return ok

# --- inputs -----------------------------------------------------------------------------------------
def messy_notebook(src, dst):
    "A real notebook with its markdown cells moved behind the code, as the competition shuffles them"
    nb = json.loads(Path(src).read_text())
    nb['cells'] = [c for c in nb['cells'] if c['cell_type'] == 'code'] + [c for c in nb['cells'] if c['cell_type'] == 'markdown'][::-1]
    Path(dst).write_text(json.dumps(nb, indent=1))

def prepare(work, n_train=12, n_test=4):
    "Tiny inputs for the documented commands, in the folder they run in"
    work.mkdir(parents=True)
    shutil.copytree(samples/'ipynb', work/'my_notebooks')
    first = sorted((samples/'ipynb').glob('*.ipynb'))[0]
    for name in ('messy.ipynb', 'my_notebook.ipynb'): messy_notebook(first, work/name)
    comp = work/'kaggle'/'input'/'AI4Code'   # a small competition layout: the first notebooks of the bundled sample
    (comp/'train').mkdir(parents=True); (comp/'test').mkdir()
    for name in ('train_orders.csv', 'train_ancestors.csv'):
        rows = (samples/name).read_text().splitlines(True)
        (comp/name).write_text(''.join(rows[:n_train+1]))
    for l in (comp/'train_orders.csv').read_text().splitlines()[1:]: shutil.copy(samples/'train'/f"{l.split(',')[0]}.json", comp/'train')
    for p in sorted((samples/'test').glob('*.json'))[:n_test]: shutil.copy(p, comp/'test')
    (work/'kaggle'/'working'/'wheels').mkdir(parents=True)
    (work/'kaggle'/'input'/'my-ai4code-model').symlink_to(work/'outputs')              # the trained checkpoint, attached as a dataset
    (work/'kaggle'/'input'/'ai4code-nb-wheels').symlink_to(work/'kaggle'/'working'/'wheels')   # the wheels, attached as a dataset

def run_document(name, lines, ctx, env):
    say(f'\n=== {name}: {len(lines)} command lines, in {ctx["work"]}')
    for line in lines:
        skip = next((why for rx, why in SKIP if rx.search(line)), None)
        if skip: say(f'\n$ {line}\n  skipped: {skip}'); continue
        for part in line.split('&&'):
            argv, notes = adapt(shlex.split(part, comments=True), ctx)
            cwd = root if argv[0] == 'pip' else ctx['work']   # pip installs from the clone (`-e .`), the rest runs in the work folder
            shown = shlex.join(argv).replace(str(ctx['tmp']), '$TMP') + (f"   [{', '.join(notes)}]" if notes else '')
            if not attempt(f'{name}: {part.strip()}', argv, cwd, env, shown): break

def main():
    t_start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix='ai4code_readme_'))
    venv = Path(sys.argv[sys.argv.index('--venv') + 1]) if '--venv' in sys.argv else tmp/'venv'
    env = venv_env(venv)
    if not (venv/'bin'/'python').exists():
        say(f'making a fresh environment: {sys.executable} -m venv {venv}')
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    readme, quick = readme_lines(), quickstart_lines()
    if not readme or not readme[0].startswith('pip install') or '[dev]' in readme[0]:
        say(f'README.md: the first command line must be the main command (pip install ... && ...), not {readme[:1]}'); sys.exit(1)
    # the main command's install step first, alone: the tiny encoder needs the package
    install, *_ = readme[0].split('&&')
    if not attempt('README: ' + install.strip(), shlex.split(install), root, env, install.strip()):
        say('readme_commands: 0 passed, 1 failed'); sys.exit(1)
    say('\n' + py(env, "import ai4code_nb, fastcore, torch, transformers; print(f'ai4code_nb {ai4code_nb.__version__} | fastcore {fastcore.__version__} | torch {torch.__version__} | transformers {transformers.__version__}')"))
    tiny = tmp/'tiny_encoder'; py(env, f"from ai4code_nb.model import save_tiny_encoder; save_tiny_encoder({str(tiny)!r}, dropout=0.0)")
    readme[0] = readme[0].split('&&', 1)[1] if '&&' in readme[0] else ''
    for name, lines in (('README', [l for l in readme if l]), ('quickstart', quick)):
        work = tmp/name; prepare(work)
        run_document(name, lines, dict(work=work, tiny=tiny, tmp=tmp), env)
    cfg = configparser.ConfigParser(); cfg.read(root/'settings.ini')
    scripts = [l.split('=')[0].strip() for l in cfg['DEFAULT']['console_scripts'].splitlines() if l.strip()]
    say(f'\n=== --help of the {len(scripts)} console scripts')
    for s in scripts:
        rc, log, _ = run([s, '--help'], tmp, env, timeout=120)
        ok = rc == 0 and log.startswith(f'usage: {s}')
        say(f"  {s} --help: {'ok' if ok else 'FAILED (exit ' + str(rc) + ')'}")
        if not ok: say('  | ' + '\n  | '.join(log.strip().splitlines()[-20:]))
        results.append((f'{s} --help', ok))
    failed = [w for w, ok in results if not ok]
    if '--keep' in sys.argv: say(f'\nkept {tmp}')
    else: shutil.rmtree(tmp, ignore_errors=True)
    say(f'\n{time.time() - t_start:.0f} s in all' + ''.join(f'\nfailed: {w}' for w in failed))
    say(f'readme_commands: {len(results) - len(failed)} passed, {len(failed)} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
