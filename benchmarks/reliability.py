"""Issue 12's hostile-user cases, replayed against the `uvlp-distill` command: exit status, seconds to the answer,
whether anything was written, and the message (its last line). Not a test (the tests are in 13b_pipeline): it prints
the table for a note, and writes it to benchmarks/results/reliability.md.

Usage: python benchmarks/reliability.py [--work /tmp/uvlp-reliability]
"""
import argparse, json, shutil, subprocess, sys, time
from pathlib import Path
from uvlp.data import write_descriptions, write_digits_folder

def small_digits(root: Path) -> Path:
    "The embedded digits as an ImageFolder, cut to 16 training and 6 validation images per class"
    few = write_digits_folder(root)
    for d in few.glob('*/*/'):
        for f in sorted(d.glob('*.png'))[16 if d.parent.name == 'train' else 6:]: f.unlink()
    return few

def cli(*args, cwd=None) -> tuple:
    "(exit status, seconds, last line of stderr) of one `uvlp-distill` invocation"
    t = time.time()
    p = subprocess.run([sys.executable, '-m', 'uvlp.pipeline', *map(str, args), '--log-level', 'ERROR'], capture_output=True, text=True, cwd=cwd)
    last = (p.stderr.strip().splitlines() or [''])[-1]
    return p.returncode, time.time() - t, last

def written(out: Path) -> str:
    "What an invocation left in its out_dir"
    if not out.exists(): return 'nothing (no folder)'
    names = sorted(p.name for p in out.iterdir())
    return 'nothing' if names in ([], ['.lock']) else ', '.join(names[:4]) + (' …' if len(names) > 4 else '')

def variant(few: Path, work: Path, name: str, change) -> Path:
    "A copy of the small digits with one thing broken by `change(root)`"
    root = Path(shutil.copytree(few, work/name))
    change(root)
    return root

def first(root: Path, sub: str) -> Path: return sorted((root/sub).glob('*.png'))[0]

def main():
    a = argparse.ArgumentParser(description=__doc__); a.add_argument('--work', default='/tmp/uvlp-reliability'); w = Path(a.parse_args().work)
    shutil.rmtree(w, ignore_errors=True); w.mkdir(parents=True)
    few = small_digits(w/'digits')
    base = ['--data-root', few, '--ipc', '2', '--steps', '10', '--eval-nets', 'convnet', '--eval-repeats', '1', '--eval-epochs', '1', '--device', 'cpu']
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
    }
    rows = []
    for name, run in cases.items():
        out = w/'runs'/str(len(rows))
        rc, s, msg = run(out); rows.append((name, rc, s, written(out), msg))
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
    cli(*base, '--no-evaluate', '--out-dir', out); (out/'manifest.json').write_text('{"key": \x01')
    rc, s, msg = cli(*base, '--no-evaluate', '--out-dir', out); rows.append(('a damaged manifest.json', rc, s, written(out), msg))
    rc, s, msg = cli(*base, '--no-evaluate', '--out-dir', out, '--overwrite'); rows.append(('a damaged manifest.json, --overwrite', rc, s, written(out), msg or 'completed'))
    # the same data root spelled relative with a trailing slash resumes the run it made
    rc, s, msg = cli(*[str(x) if x != few else 'digits/' for x in base], '--no-evaluate', '--out-dir', out, cwd=w)
    rows.append(('data_root spelled relative, with a trailing slash', rc, s, written(out), msg or 'resumed'))
    lines = ['| case | exit | seconds | written | message |', '|---|---:|---:|---|---|']
    lines += [f"| {n} | {rc} | {s:.1f} | {wr} | {m.replace('|', '/')[:220]} |" for n, rc, s, wr, m in rows]
    table = '\n'.join(lines)
    print(table)
    Path(__file__).parent.joinpath('results', 'reliability.md').write_text(table + '\n')

if __name__ == '__main__': main()
