"""Selection baselines on real CIFAR-10 images through the evaluation protocol (32 px path).

Data: the real CIFAR-10 test images (`<root>/<class>/*.png`, 1,000 per class), one split, which
`uvlp.data.list_images` divides per class 80/20 into 'train' and 'val' with a fixed seed.
Sets: Random real, K-Center and Herding (features: raw pixels, 3,072-d in [0, 1] — no pretrained
CLIP exists offline), IPC 10, each written as a distilled folder by `uvlp.baselines.make_baselines`
and scored by `uvlp.evaluate.evaluate_folder`: ConvNet-3 at 32 px, protocol epochs (1000),
--repeats runs. Full data (800 / class): the protocol's 1000 epochs are far too slow on 2 CPU
cores, so it runs --full-epochs epochs and --full-repeats repeats (recorded as not the protocol),
after measuring its step rate and recording the projected protocol time.

Writes benchmarks/results/cifar_baselines.json (+ .md) after every set, each set with `common.cell_stamp` (the commit
and the digest of the code that made it; the .md marks every set not made by today's code and names it under the
table); `--report [--refuse-stale]` rewrites the .md from the .json alone (refusing, with --refuse-stale, when a set was
not made by today's code) and runs nothing. A rerun skips the sets
already recorded with the same settings (so e.g. --sets full --full-epochs 30 redoes only full data). Sets may run in parallel processes (one thread each on 2 cores), each with its own --work folder:
    nohup python benchmarks/cifar_baselines.py --threads 1 --sets kcenter --work /tmp/cifar_k > /tmp/cifar_k.log 2>&1 &
    nohup python benchmarks/cifar_baselines.py --threads 1 --sets herding --work /tmp/cifar_h > /tmp/cifar_h.log 2>&1 &
"""
import argparse, datetime, logging, math, time
from pathlib import Path
import torch
from common import CIFAR_HOLDOUT, CIFAR_ROOT, RESULTS, add_entry, cell_stamp, code_marks, command_line
from uvlp.baselines import make_baselines
from uvlp.config import get_dataset
from uvlp.evaluate import evaluate_folder, load_split, results_table, protocol_for, train_step
from uvlp.networks import get_network
from uvlp.utils import load_json, atomic_write

NAMES = {'random': 'Random real', 'kcenter': 'K-Center (pixels)', 'herding': 'Herding (pixels)', 'full': 'Full data'}

def step_rate(steps=5):
    "Measured SGD steps/s of ConvNet-3 at 32 px on this machine (batch 64, the protocol's step)."
    net, proto = get_network('convnet', 10, 32, device='cpu'), protocol_for(800, 10, 32)
    opt = torch.optim.SGD(net.parameters(), proto.lr, momentum=proto.momentum, weight_decay=proto.weight_decay)
    x, y, g = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8), torch.randint(0, 10, (64,)), torch.Generator().manual_seed(0)
    train_step(net, opt, x, y, proto, g)
    t = time.perf_counter()
    for _ in range(steps): train_step(net, opt, x, y, proto, g)
    return steps / (time.perf_counter() - t)

def write_md(rec, path, refuse_stale:bool=False):
    "The recorded table, the commands that made it and the reductions of the full-data run, as markdown; the sets not made by today's code marked (or refused)."
    s, sets = rec['split'], {m: rec['sets'][m] for m in NAMES if m in rec['sets']}   # the JSON file sorts its keys
    signs, head, notes = code_marks({NAMES[m]: r.get('stamp') for m, r in sets.items()}, cell_stamp(__file__), refuse_stale)
    rows = {NAMES[m] + (f", {r['repeats']} run{'s' * (r['repeats'] > 1)}" if r['repeats'] != 3 else '') + (signs[NAMES[m]] and ' ' + signs[NAMES[m]]): r
            for m, r in sets.items()}
    lines = [head, '', f"CIFAR-10, real test images divided per class {1-s['holdout']:.0%}/{s['holdout']:.0%} into train/test with seed "
             f"{s['seed']} ({rec['n_train']} / {rec['n_test']} images); IPC {rec['ipc']}; ConvNet-3 at 32 px, instance norm; "
             f"best top-1 (%) mean ± population std over runs (3 unless stated); K-Center / Herding on raw pixels (3,072-d).", '',
             results_table(rows), '', *([notes, ''] if notes else []), 'Made by (CPU, torch threads, wall time):']
    lines += [f"- {NAMES[m]}: `{r['command']}` ({r['threads']} thread{'s' * (r['threads'] > 1)}, {r['wall_s'] / 60:.0f} min, {r['date']})"
              for m, r in sets.items()]
    if 'full' in sets:
        f, fr = rec['full_rate'], sets['full']
        lines.append(f"\nFull data: measured {f['steps_per_s']:.2f} steps/s here, so the protocol's {f['protocol_epochs']} epochs "
                     f"({f['protocol_steps']:,} SGD steps per run) would take ≈ {f['protocol_hours']:.0f} h per run; it ran "
                     f"{fr['protocol']['epochs']} epochs × {fr['repeats']} run(s) instead (LR milestones and evaluations scaled).")
    with atomic_write(path) as fh: fh.write('\n'.join(lines) + '\n')

def record(out:Path, rec:dict, m:str, entry:dict) -> dict:
    "Add set `m` to the results file, re-reading it first so that sets recorded meanwhile by a parallel run are kept."
    rec = add_entry(out, rec, 'sets', m, entry, NAMES, lambda saved: (saved.get('split'), saved.get('ipc')) == (rec['split'], rec['ipc']))
    write_md(rec, out.with_suffix('.md'))
    return rec

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=CIFAR_ROOT)
    p.add_argument('--work', default='/tmp/uvlp_cifar_sets', help='where the baseline folders are written')
    p.add_argument('--ipc', type=int, default=10); p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--seed', type=int, default=0); p.add_argument('--holdout', type=float, default=CIFAR_HOLDOUT)
    p.add_argument('--full-epochs', type=int, default=50); p.add_argument('--full-repeats', type=int, default=1)
    p.add_argument('--epochs', type=int, default=None, help="override every set's epochs (a smoke test, NOT the protocol)")
    p.add_argument('--threads', type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument('--sets', nargs='+', default=['random', 'kcenter', 'herding', 'full'])
    p.add_argument('--out', default=str(RESULTS / 'cifar_baselines.json'))
    p.add_argument('--report', action='store_true', help='rewrite the .md from the .json alone; run nothing')
    p.add_argument('--refuse-stale', action='store_true', help="with --report: refuse (raise) when a set was not made by today's code, instead of marking it")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(name)s %(message)s')
    if a.refuse_stale and not a.report: p.error('--refuse-stale goes with --report')
    if a.report:   # the .md from the .json alone
        write_md(load_json(a.out), Path(a.out).with_suffix('.md'), a.refuse_stale)
        return print(Path(a.out).with_suffix('.md').read_text())
    start = cell_stamp(__file__)   # the code this process imports
    if a.threads: torch.set_num_threads(a.threads)
    split, out = dict(seed=a.seed, holdout=a.holdout, root=a.root), Path(a.out)
    rec = load_json(out) if out.exists() else {}
    if rec.get('split') != split or rec.get('ipc') != a.ipc: rec = dict(split=split, ipc=a.ipc, sets={})
    want = {m: dict(repeats=a.full_repeats if m == 'full' else a.repeats, epochs=a.epochs or (a.full_epochs if m == 'full' else None))
            for m in a.sets}
    todo = [m for m in a.sets if rec['sets'].get(m, {}).get('settings') != want[m]]
    ds = get_dataset('cifar10')
    xtr, ytr = load_split(a.root, ds, 'train', a.holdout, a.seed)
    rec['n_train'], rec['n_test'] = len(xtr), len(load_split(a.root, ds, 'val', a.holdout, a.seed)[1])
    feats = {c: xtr[ytr == i].flatten(1).float() / 255 for i, c in enumerate(ds.class_ids)}   # raw pixels in [0, 1]
    dirs = make_baselines(a.root, ds, a.work, a.ipc, feats, [m for m in todo if m != 'full'], full='full' in todo,
                          holdout=a.holdout, split_seed=a.seed, seed=a.seed, device='cpu', overwrite=True)
    for m in todo:
        if m == 'full':
            rate, E = step_rate(), protocol_for(len(xtr), 10, 32).epochs
            steps = E * math.ceil(len(xtr) / 64)
            rec['full_rate'] = dict(steps_per_s=rate, protocol_epochs=E, protocol_steps=steps, protocol_hours=steps / rate / 3600)
            print(f"full data: {rate:.2f} steps/s, the protocol would need {steps / rate / 3600:.1f} h per run", flush=True)
        t = time.time()
        r = evaluate_folder(dirs[m], a.root, ds, split='val', holdout=a.holdout, split_seed=a.seed, eval_nets=('convnet',),
                            eval_repeats=want[m]['repeats'], eval_epochs=want[m]['epochs'], seed=a.seed, device='cpu')
        run = dict(settings=want[m], wall_s=time.time() - t, command=command_line(), date=datetime.date.today().isoformat(),
                   stamp=cell_stamp(__file__, since=start))
        rec = record(out, rec, m, r | run)
        print(f"{NAMES[m]}: {r['results']['convnet']['mean']:.2f} ± {r['results']['convnet']['std']:.2f} "
              f"({(time.time() - t) / 60:.0f} min)", flush=True)
    print(out.with_suffix('.md').read_text())

if __name__ == '__main__': main()
