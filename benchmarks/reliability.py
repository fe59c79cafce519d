"""Hostile-user cases (issues 12 and 17), replayed against the commands as a new user types them: exit status, seconds to
the answer, what was written (and, where the user's own files were at stake, how many of them survive byte for byte),
and the message (its last line). Not a test (the tests are in the chapters that own each behaviour): it prints the
table for a note, and writes it to benchmarks/results/reliability.md.

Usage: python benchmarks/reliability.py [--work /tmp/uvlp-reliability]
"""
import argparse, hashlib, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
from PIL import Image
from common import RESULTS, ROOT, head_commit, uncommitted
from uvlp.data import write_descriptions, write_digits_folder

def small_digits(root: Path) -> Path:
    "The embedded digits as an ImageFolder, cut to 16 training and 6 validation images per class"
    few = write_digits_folder(root)
    for d in few.glob('*/*/'):
        for f in sorted(d.glob('*.png'))[16 if d.parent.name == 'train' else 6:]: f.unlink()
    (few/'.uvlp-written.json').unlink()   # from here on a folder of the user's, not one uvlp wrote
    return few

def last_line(text: str) -> str: return (text.strip().splitlines() or [''])[-1]

def command(args, cwd=None, module='uvlp.pipeline', log='ERROR', find=None) -> tuple:
    "(exit status, seconds, last line of stderr — or its first line holding `find`) of one command"
    t = time.time()
    p = subprocess.run([sys.executable, '-m', module, *map(str, args), *(['--log-level', log] if log else [])],
                       capture_output=True, text=True, cwd=cwd)
    found = [l for l in p.stderr.splitlines() if find and find in l]
    return p.returncode, time.time() - t, found[0] if found else last_line(p.stderr)

def cli(*args, cwd=None) -> tuple: return command(args, cwd)
def export(*args) -> tuple: return command(args, module='uvlp.export', log=None)

def written(out: Path) -> str:
    "What an invocation left in its out_dir"
    if not out.exists(): return 'nothing (no folder)'
    names = sorted(p.name for p in out.iterdir())
    return 'nothing' if names in ([], ['.lock']) else ', '.join(names[:4]) + (' …' if len(names) > 4 else '')

def digests(root: Path) -> dict: return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob('*') if p.is_file() and not p.is_symlink()}

def kept(before: dict) -> str:
    "How many of the user's files are still there with the same bytes"
    same = sum(p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == h for p, h in before.items())
    return f"user's files kept {same}/{len(before)}"

def variant(few: Path, work: Path, name: str, change) -> Path:
    "A copy of the small digits with one thing changed by `change(root)`"
    root = Path(shutil.copytree(few, work/name, symlinks=True))
    change(root)
    return root

def first(root: Path, sub: str) -> Path: return sorted((root/sub).glob('*.png'))[0]

def rename_classes(root: Path, names: dict):
    "Rename class folders (old → new) in train/ and val/ and in the descriptions"
    for split in ('train', 'val'):
        for old, new in names.items(): (root/split/old).rename(root/split/new)
    rows = [json.loads(l) for l in (root/'train/metadata.jsonl').read_text().splitlines()]
    (root/'train/metadata.jsonl').unlink()
    fix = lambda f: names.get(f.split('/')[0], f.split('/')[0]) + f[f.index('/'):]
    write_descriptions(root/'train/metadata.jsonl', [fix(r['file_name']) for r in rows], [r['text'] for r in rows])

def recode(root: Path, encoding: str):
    "Rewrite the descriptions in another encoding (with a non-ASCII character in the first line)"
    f = root/'train/metadata.jsonl'
    text = f.read_text(encoding='utf-8').replace('"text": "', '"text": "café ', 1)
    f.write_bytes(text.encode(encoding))

def interrupted(args, out: Path) -> tuple:
    "Ctrl-C (SIGINT) a run once it has written some features: (exit status, seconds, last line of stderr)"
    t = time.time()
    p = subprocess.Popen([sys.executable, '-m', 'uvlp.pipeline', *map(str, args), '--out-dir', str(out), '--log-level', 'ERROR'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while p.poll() is None and len(list(out.glob('features/*.safetensors'))) < 2: time.sleep(0.05)
    p.send_signal(signal.SIGINT); err = p.communicate()[1]
    return p.returncode, time.time() - t, last_line(err)

def two_torchruns(args, out: Path) -> tuple:
    "Two `torchrun --nproc_per_node 2` launches on one out_dir: the loser's exit status, seconds and last line"
    run = lambda: subprocess.Popen([str(Path(sys.executable).parent/'torchrun'), '--standalone', '--nproc_per_node', '2', '-m', 'uvlp.pipeline',
                                    *map(str, args), '--out-dir', str(out), '--log-level', 'ERROR'],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    a = run()   # a run with a longer evaluation, so that it still holds the folder when the second starts
    while a.poll() is None and not (out/'manifest.json').exists(): time.sleep(0.05)
    t = time.time(); b = run(); err = b.communicate()[1]; secs = time.time() - t
    a.wait()
    lines = [l for l in err.splitlines() if 'uvlp-distill: error' in l]
    return b.returncode, secs, (lines[0] if lines else last_line(err)) + f' (lines of stderr: {len(err.splitlines())})'

def full_disk(args, work: Path) -> tuple:
    "A run on a 256 KiB tmpfs (needs root; else not measured)"
    mnt = work/'small-disk'; mnt.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', str(mnt)], capture_output=True).returncode != 0:
        return None, 0.0, 'not measured: mounting a small tmpfs needs root'
    try: return cli(*args, '--out-dir', mnt/'run')
    finally: subprocess.run(['umount', str(mnt)])

def papermill_typo(few: Path, out: Path) -> tuple:
    "papermill run_distill.ipynb with a misspelt parameter: the error output of the executed notebook"
    nb = ROOT/'nbs/run_distill.ipynb'
    t = time.time()
    p = subprocess.run([str(Path(sys.executable).parent/'papermill'), str(nb), str(out.with_suffix('.ipynb')), '-p', 'ipcc', '10',
                        '-p', 'data_root', str(few), '-p', 'out_dir', str(out)], capture_output=True, text=True, cwd=nb.parent)
    errs = [o for c in json.loads(out.with_suffix('.ipynb').read_text())['cells'] for o in c.get('outputs', []) if o['output_type'] == 'error']
    return p.returncode, time.time() - t, f"{len(errs[0]['traceback'])} line(s) shown: {errs[0]['traceback'][0]}"

def main():
    a = argparse.ArgumentParser(description=__doc__); a.add_argument('--work', default='/tmp/uvlp-reliability'); w = Path(a.parse_args().work)
    shutil.rmtree(w, ignore_errors=True); w.mkdir(parents=True)
    few = small_digits(w/'digits')
    base = ['--data-root', few, '--ipc', '2', '--steps', '10', '--eval-nets', 'convnet', '--eval-repeats', '1', '--eval-epochs', '1', '--device', 'cpu']
    quick = [*base, '--no-evaluate']
    texts = lambda root: [json.loads(l) for l in (root/'train/metadata.jsonl').read_text().splitlines()]
    def retext(root, rows): (root/'train/metadata.jsonl').unlink(); write_descriptions(root/'train/metadata.jsonl', [r['file_name'] for r in rows], [r['text'] for r in rows])
    cases = {
        '--steps 1 (steps × strength = 0 denoising steps)': lambda o: cli(*base, '--steps', '1', '--out-dir', o),
        '--device cuda on a machine without CUDA': lambda o: cli(*base, '--device', 'cuda', '--out-dir', o),
        '--device tpu': lambda o: cli(*base, '--device', 'tpu', '--out-dir', o),
        '--top-k-visual 20 (more than a cluster holds)': lambda o: cli(*base, '--top-k-visual', '20', '--out-dir', o),
        'a corrupt image in val/': lambda o: cli(*base, '--data-root', variant(few, w, 'badval', lambda r: first(r, 'val/4').write_text('x')), '--out-dir', o),
        'a truncated training image': lambda o: cli(*base, '--data-root', variant(few, w, 'badtrain', lambda r: first(r, 'train/3').write_bytes(b'\x89PNG\r\n\x1a\n')), '--out-dir', o),
        '"text": 12345 in the descriptions': lambda o: cli(*base, '--data-root', variant(few, w, 'numtext', lambda r: (r/'train/metadata.jsonl').write_text(
            (r/'train/metadata.jsonl').read_text().replace('"text": "', '"text": 12345, "x": "', 1))), '--out-dir', o),
        'train/metadata.jsonl is a folder': lambda o: cli(*base, '--data-root', variant(few, w, 'dirmeta', lambda r: ((r/'train/metadata.jsonl').unlink(), (r/'train/metadata.jsonl').mkdir())), '--out-dir', o),
        'a description file name listed twice': lambda o: cli(*base, '--data-root', variant(few, w, 'dupmeta', lambda r: retext(r, texts(r) + texts(r)[:1])), '--out-dir', o),
        '--image-size 100000': lambda o: cli(*base, '--image-size', '100000', '--out-dir', o),
        '--guidance-scale inf': lambda o: cli(*base, '--guidance-scale', 'inf', '--out-dir', o),
        '--lam inf': lambda o: cli(*base, '--lam', 'inf', '--out-dir', o),
        '--seed 2**70': lambda o: cli(*base, '--seed', str(2**70), '--out-dir', o),
        'descriptions in UTF-16': lambda o: cli(*base, '--data-root', variant(few, w, 'utf16', lambda r: recode(r, 'utf-16')), '--out-dir', o),
        'descriptions in Latin-1': lambda o: cli(*base, '--data-root', variant(few, w, 'latin1', lambda r: recode(r, 'latin-1')), '--out-dir', o),
        'descriptions in UTF-8 with a BOM': lambda o: cli(*quick, '--data-root', variant(few, w, 'bom', lambda r: recode(r, 'utf-8-sig')), '--out-dir', o),
        'an empty val/<class>, --on-error skip': lambda o: cli(*base, '--on-error', 'skip', '--data-root', variant(few, w, 'emptyval', lambda r: [f.unlink() for f in (r/'val/5').iterdir()]), '--out-dir', o),
        'a class folder that is a symlink to itself (dataset folder)': lambda o: command([*quick, '--dataset', 'folder', '--data-root', variant(few, w, 'loop', lambda r: os.symlink('loop', r/'train/loop')), '--out-dir', o],
                                                                                     log='WARNING', find='cannot be followed'),
    }
    rows = []
    for name, run in cases.items():
        out = w/'runs'/str(len(rows))
        rc, s, msg = run(out); rows.append((name, rc, s, written(out), msg))
    # the data root, or the folder around it, as out_dir (with --overwrite, as the refusal once told users to): the data survives
    proj = w/'proj'; shutil.copytree(few, proj/'data'); before = digests(proj)
    for name, args, cwd in (('--data-root proj/data --out-dir proj --overwrite', ['--out-dir', proj], None),
                            ('--out-dir "" from the project folder, --overwrite', ['--out-dir', ''], proj),
                            ('--out-dir proj/data/train/myrun (inside the data)', ['--out-dir', proj/'data/train/myrun'], None)):
        rc, s, msg = cli(*[proj/'data' if x == few else x for x in quick], *args, '--overwrite', cwd=cwd)
        rows.append((name, rc, s, kept(before) + ('; train/myrun not created' if not (proj/'data/train/myrun').exists() else ''), msg))
    # a folder with a user's data/ but no run, as out_dir of a digits run, with --overwrite: refused, nothing touched
    mine = w/'mine'; (mine/'data').mkdir(parents=True); (mine/'data/important.csv').write_text('1,2\n'); before = digests(mine)
    rc, s, msg = cli('--ipc', '1', '--steps', '4', '--no-evaluate', '--device', 'cpu', '--out-dir', mine, '--overwrite')
    rows.append(("a folder holding the user's data/ (no run), --overwrite", rc, s, kept(before), msg))
    # a run of ours with the user's files added, replaced after a change of settings: only the run's files go
    out = w/'runs'/'replaced'
    cli(*quick, '--out-dir', out)
    for rel, b in (('eval/results.xlsx', b'table'), ('data/important.csv', b'1,2'), ('notes.txt', b'mine'), ('.report.final.tmp', b'draft'),
                   ('docs/.thesis.md.swp.tmp', b'swap')):
        (out/rel).parent.mkdir(parents=True, exist_ok=True); (out/rel).write_bytes(b)
    before = {p: h for p, h in digests(out).items() if p.name in ('results.xlsx', 'important.csv', 'notes.txt', '.report.final.tmp', '.thesis.md.swp.tmp')}
    rc, s, msg = cli(*quick, '--ipc', '3', '--out-dir', out, '--overwrite')
    rows.append(("a run with the user's files in eval/, data/, beside it and .tmp names, replaced (--ipc 3 --overwrite)", rc, s, kept(before), msg or 'completed'))
    # an output name that is a link, with --overwrite
    out = w/'runs'/'linked'; cli(*quick, '--out-dir', out)
    target = w/'elsewhere'; target.mkdir(); (target/'keep.txt').write_text('k'); shutil.rmtree(out/'eval', ignore_errors=True); os.symlink(target, out/'eval')
    rc, s, msg = cli(*quick, '--ipc', '3', '--out-dir', out, '--overwrite'); rows.append(('eval/ is a symlink to a user folder, --overwrite', rc, s, kept(digests(target)), msg))
    # class ids named like the run's own records
    odd = variant(few, w, 'odd', lambda r: rename_classes(r, {'0': 'text_prototypes', '1': 'global_alpha', '2': 'run'}))
    out = w/'runs'/'odd'; rc, s, msg = cli(*quick, '--dataset', 'folder', '--data-root', odd, '--global-alpha', '--out-dir', out)
    rows.append(("classes named text_prototypes, global_alpha and run, --global-alpha", rc, s, written(out), msg or 'completed'))
    # export: OUT is the run, or the folder of all runs
    runs = w/'runs'; n = len(digests(runs))
    for name, args in (('uvlp-export runs/A runs/A --overwrite', [runs/'odd', runs/'odd', '--overwrite']),
                       ('uvlp-export runs/B runs --overwrite', [runs/'odd', runs, '--overwrite'])):
        rc, s, msg = export(*args); rows.append((name, rc, s, f'files under runs/: {len(digests(runs))} of {n}', msg))
    # Ctrl-C, a full disk, two torchrun launches, papermill's typo
    rc, s, msg = interrupted(quick, w/'runs'/'interrupted'); rows.append(('Ctrl-C during the features', rc, s, written(w/'runs'/'interrupted'), msg))
    rc, s, msg = cli(*quick, '--out-dir', w/'runs'/'interrupted'); rows.append(('... the same command again', rc, s, written(w/'runs'/'interrupted'), msg or 'resumed, completed'))
    rc, s, msg = full_disk(quick, w); rows.append(('out_dir on a full disk (256 KiB tmpfs)', rc, s, '', msg))
    rc, s, msg = two_torchruns([*base, '--eval-epochs', '400'], w/'runs'/'torchrun'); rows.append(('two torchrun launches (2 processes each) on one out_dir: the second', rc, s, '', msg))
    rc, s, msg = papermill_typo(few, w/'runs'/'typo'); rows.append(('papermill run_distill.ipynb -p ipcc 10', rc, s, written(w/'runs'/'typo'), msg))
    # a second run while another process holds the run folder, then the same with --overwrite
    out = w/'runs'/'locked'
    holder = subprocess.Popen([sys.executable, '-c', f'from uvlp.utils import run_lock; import time\nwith run_lock({str(out)!r}): print("held", flush=True); time.sleep(120)'],
                              stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    for extra in ([], ['--overwrite']):
        rc, s, msg = cli(*base, '--out-dir', out, *extra)
        rows.append(('the run folder is in use by another process' + (' (--overwrite)' if extra else ''), rc, s, written(out), msg))
    holder.kill(); holder.wait()
    # a damaged manifest: refused by path; --overwrite replaces it and the run completes
    out = w/'runs'/'manifest'
    cli(*quick, '--out-dir', out); (out/'manifest.json').write_text('{"key": \x01')
    rc, s, msg = cli(*quick, '--out-dir', out); rows.append(('a damaged manifest.json', rc, s, written(out), msg))
    rc, s, msg = cli(*quick, '--out-dir', out, '--overwrite'); rows.append(('a damaged manifest.json, --overwrite', rc, s, written(out), msg or 'completed'))
    # the same data root spelled relative with a trailing slash resumes the run it made
    rc, s, msg = cli(*[str(x) if x != few else 'digits/' for x in quick], '--out-dir', out, cwd=w)
    rows.append(('data_root spelled relative, with a trailing slash', rc, s, written(out), msg or 'resumed'))
    lines = ['| case | exit | seconds | written / kept | message |', '|---|---:|---:|---|---|']
    lines += [f"| {n} | {rc} | {s:.1f} | {wr} | {m.replace('|', '/')[:260]} |" for n, rc, s, wr, m in rows]
    dirty = uncommitted('uvlp', 'nbs')
    state = f"with uncommitted changes to {', '.join(dirty)}" if dirty else 'a clean working tree'
    table = '\n'.join(lines) + f"\n\nMeasured by `python benchmarks/reliability.py` at commit {head_commit()} ({state}).\n"
    print(table)
    (RESULTS/'reliability.md').write_text(table)

if __name__ == '__main__': main()
