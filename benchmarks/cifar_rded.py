"""Every method on real CIFAR-10 images under RDED's soft-label protocol, with DD-Ranking's LRS and ARS (IPC 10, CPU).

The data, the colour tiny stack and the cells of cifar_methods.py (every method of the registry, VLCP with its published
CIFAR-10 settings, UVLP's synthesis ablations, the full data): the same ImageFolder, the same stack folder (trained once
by either script). Each cell is one run of `uvlp.pipeline` with `eval_protocol='rded'`:
- the teacher: a ConvNet (batch norm) trained here on the whole training split of the ImageFolder
  (`uvlp.teacher.train_teacher`, --teacher-epochs), its weights' digest and val top-1 recorded in every cell — RDED's
  CIFAR-10 teacher is a ResNet-18 modified for 32 px, too slow for this CPU;
- the students: ConvNet (batch norm), --repeats runs, E = --epochs of RDED's cosine schedule — a shortened schedule, NOT
  the protocol's 500 (VLCP) or 300 (RDED) epochs;
- `dd_ranking` (not for the Random row and the full data): each row without augmentation, the set under hard labels, the
  full data under hard labels (the same shortened epochs, trained once, cached in <work>/full_cache); LRS and ARS per run.
Resumable: one run directory per cell under --work; each finished cell is added to --out (stamped: `common.cell_stamp`),
and `--report` rewrites the .md from the .json alone, every cell not made by today's code marked.

    OMP_NUM_THREADS=1 python benchmarks/cifar_rded.py --work /work/scratch/cifar_methods --stack /work/scratch/cifar_stack
"""
import argparse, logging, statistics, time
from pathlib import Path
import torch
from common import CIFAR_HOLDOUT, CIFAR_ROOT, RESULTS, add_entry, cell_stamp, cifar_folder, code_marks, command_line, last_stage_seconds
from cifar_methods import CELLS, NAMES, build_stack
import cifar_methods
from uvlp.config import get_dataset
from uvlp.registry import REFERENCE, get_method, method_label
from uvlp.tiny import TINY_STEPS
from uvlp.utils import atomic_write, load_json

def teacher_folder(data:Path, work:Path, epochs:int) -> Path:
    "The teacher: a batch-norm ConvNet trained (once; resumed if stopped) on the whole training split"
    from uvlp.teacher import train_teacher
    out = work/'rded_teacher'
    if not (out/'teacher.json').exists(): train_teacher(data, 'cifar10', out, arch='uvlp:convnet', epochs=epochs, seed=0, device='cpu', progress=False)
    return out

def run_cell(cell:str, data:Path, stack:Path, teacher:Path, work:Path, a) -> dict:
    "Distil and evaluate one cell under 'rded' (resumed where it stopped): its top-1 per run, its Random row's, LRS and ARS per run"
    from uvlp.pipeline import DistillConfig, distill
    scored = CELLS[cell]['method'] != REFERENCE and not get_method(CELLS[cell]['method']).all_images
    cfg = DistillConfig(dataset='cifar10', data_root=str(data), sd=str(stack), clip_model='tiny', ipc=a.ipc, seed=a.seed, eval_nets=('convnet',),
                        eval_repeats=a.repeats, eval_epochs=a.epochs, eval_protocol='rded', teacher=str(teacher), dd_ranking=scored,
                        full_cache=str(work/'full_cache'), feature_cache=str(work/'feature_cache'), device='cpu', out_dir=str(work/f'rded-{cell}'), **CELLS[cell])
    t = time.time(); run = distill(cfg, progress=False)
    m = load_json(run.eval/'metrics.json')
    own, ref = m['records'][method_label(cfg.method)]['results']['convnet'], m['records'].get(method_label(REFERENCE))
    s = m.get('dd_ranking', {}).get('convnet', {})
    return dict(best=list(own['best']), mean=statistics.mean(own['best']), std=statistics.pstdev(own['best']), label=own['label'],
                random=statistics.mean(ref['results']['convnet']['best']) if ref else None, lrs=s.get('lrs'), ars=s.get('ars'),
                teacher={k: m['teacher'][k] for k in ('arch', 'weights_sha256', 'val_top1')}, config=CELLS[cell], run_dir=str(run.root),
                wall_s=round(time.time() - t, 1), stages_s=last_stage_seconds(run.root), command=command_line(), threads=torch.get_num_threads())

def write_md(rec:dict, path:Path, refuse_stale:bool=False):
    "Top-1, LRS and ARS of every cell as one markdown table, the cells not made by today's code marked (or refused)"
    cells, s = cifar_methods.in_order(rec['cells']), rec['settings']
    signs, head, notes = code_marks({NAMES[c]: r.get('stamp') for c, r in cells.items()}, cell_stamp(__file__, cifar_methods.__file__), refuse_stale)
    mean = lambda v: '–' if not v else f"{statistics.mean(v):.3f}"
    t = next(iter(cells.values()))['teacher'] if cells else None
    lines = [head, '', f"CIFAR-10, real test images divided per class 80/20 into train/val with seed {s['seed']} ({rec['n_train']} / {rec['n_val']} images); IPC {s['ipc']}; "
             "every method through the colour tiny stack of cifar_methods.py; VLCP with its published CIFAR-10 settings (contamination 0, threshold 0.3). "
             + (f"Teacher: {t['arch']} (batch norm) trained here on the training split, val top-1 {t['val_top1']:.1f} %, sha256 {t['weights_sha256'][:12]}. " if t else '')
             + f"Students: ConvNet (batch norm), {s['repeats']} runs; **shortened schedule: {s['epochs']} epochs of RDED's cosine schedule, not the protocol's 500**; "
             "LRS / ARS as fractions, means over the runs (the hard-label and full-data terms under the same shortened schedule).", '',
             '| | ' + ' | '.join(NAMES[c] + (signs[NAMES[c]] and ' ' + signs[NAMES[c]]) for c in cells) + ' |', '|---|' + '---:|' * len(cells),
             '| top-1 (%) | ' + ' | '.join(f"{r['mean']:.1f} ± {r['std']:.1f}" for r in cells.values()) + ' |',
             '| its Random row | ' + ' | '.join('–' if r['random'] is None else f"{r['random']:.1f}" for r in cells.values()) + ' |',
             '| LRS | ' + ' | '.join(mean(r['lrs']) for r in cells.values()) + ' |', '| ARS | ' + ' | '.join(mean(r['ars']) for r in cells.values()) + ' |', '',
             *([notes, ''] if notes else []), f"Made by `{rec['command']}`."]
    with atomic_write(path) as f: f.write('\n'.join(lines) + '\n')

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=CIFAR_ROOT)
    p.add_argument('--work', default='/work/scratch/cifar_methods', help="cifar_methods.py's work folder: its ImageFolder, and this script's runs")
    p.add_argument('--stack', default='/work/scratch/cifar_stack', help="cifar_methods.py's colour tiny stack (trained once if missing)")
    p.add_argument('--ipc', type=int, default=10, choices=(1, 10, 50)); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--epochs', type=int, default=30); p.add_argument('--repeats', type=int, default=3); p.add_argument('--teacher-epochs', type=int, default=30)
    p.add_argument('--cells', nargs='+', default=list(CELLS), choices=list(CELLS))
    p.add_argument('--out', default=str(RESULTS/'cifar_rded.json'))
    p.add_argument('--report', action='store_true', help='rewrite the .md from the .json alone; run nothing')
    p.add_argument('--refuse-stale', action='store_true', help="with --report: refuse when a cell was not made by today's code")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = Path(a.out)
    if a.refuse_stale and not a.report: p.error('--refuse-stale goes with --report')
    if a.report: return write_md(load_json(out), out.with_suffix('.md'), a.refuse_stale)
    start = cell_stamp(__file__, cifar_methods.__file__)
    torch.set_num_threads(1)
    ds, work = get_dataset('cifar10'), Path(a.work)
    data = cifar_folder(a.root, work, ds, CIFAR_HOLDOUT, a.seed)
    stack = Path(a.stack); build_stack(data, stack, ds, {k: TINY_STEPS[k] for k in ('clip', 'vae', 'unet')}, a.seed)
    teacher = teacher_folder(data, work, a.teacher_epochs)
    settings = dict(root=a.root, seed=a.seed, ipc=a.ipc, epochs=a.epochs, repeats=a.repeats, teacher_epochs=a.teacher_epochs)
    from uvlp.data import list_images
    rec = dict(settings=settings, stack=load_json(stack/'manifest.json'), command=f'OMP_NUM_THREADS=1 python benchmarks/cifar_rded.py --epochs {a.epochs} '
               f'--repeats {a.repeats} --teacher-epochs {a.teacher_epochs}', n_train=len(list_images(data, ds, 'train', 0.).paths),
               n_val=len(list_images(data, ds, 'val', 0.).paths))
    saved = load_json(out) if out.exists() else {}
    done = saved.get('cells', {}) if saved.get('settings') == settings else {}
    for cell in a.cells:
        if cell in done: continue
        entry = run_cell(cell, data, stack, teacher, work, a) | dict(stamp=cell_stamp(__file__, cifar_methods.__file__, since=start))
        rec = add_entry(out, rec, 'cells', cell, entry, CELLS, lambda s: s.get('settings') == settings)
        write_md(rec, out.with_suffix('.md'))
        print(f"{NAMES[cell]}: {entry['mean']:.2f} ± {entry['std']:.2f}, LRS {entry['lrs'] and round(statistics.mean(entry['lrs']), 3)}, "
              f"ARS {entry['ars'] and round(statistics.mean(entry['ars']), 3)} ({entry['wall_s']:.0f} s)", flush=True)

if __name__ == '__main__': main()
