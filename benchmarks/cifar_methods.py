"""Every method on real CIFAR-10 images through a colour tiny stack trained here (IPC 10, ConvNet-3 at 32 px).

Data: the real CIFAR-10 test images (`<root>/<class>/*.png`, 1,000 per class) divided per class 80/20 into
train/val with seed 0 by `uvlp.data.list_images` (as benchmarks/cifar_baselines.py does), linked into an
ImageFolder `<work>/cifar/{train,val}/<class>/` with grounded colour captions of the 8,000 training images
in `train/metadata.jsonl` (`uvlp.data.caption_folder`).
Stack: a tiny CLIP, VAE and UNet (`uvlp.tiny.train_tiny`) trained on those 8,000 images and captions, cached
in --stack (not shipped).
Cells: `uvlp.pipeline.distill` with `sd=--stack`, `clip_model='tiny'`, IPC 10, seed 0, one shared feature
cache, on the CPU: the methods random, kcenter, herding, d4m, vlcp, uvlp, full and UVLP's synthesis
ablations decode (VAE-decode the fused prototype) and real (its best member's image). Each cell is a run
directory `<work>/<cell>` (the pipeline resumes it). The distilled set is then scored with
`uvlp.evaluate.evaluate_folder` on the val split: ConvNet-3, --repeats runs of --epochs epochs (a shortened
schedule, NOT the protocol's 1000; LR milestones scale with it); full data: --full-epochs epochs ×
--full-repeats runs. (The pipeline's own evaluation would also retrain a random real set in every cell;
the 'random' cell is that set.)

Writes benchmarks/results/cifar_methods.{json,md,png} after every cell; a rerun skips the cells recorded
with the same settings:
    OMP_NUM_THREADS=1 python benchmarks/cifar_methods.py --threads 1
Each cell records `common.cell_stamp` (the commit and the digest of the code that made it); the markdown marks every
cell not made by today's code and names it under the table. `--report [--refuse-stale]` rewrites the .md from the
.json alone (refusing, with --refuse-stale, when a cell was not made by today's code) and runs nothing.
"""
import argparse, datetime, io, logging, time
from pathlib import Path
import torch
from common import CIFAR_HOLDOUT, CIFAR_ROOT, RESULTS, add_entry, cell_stamp, cifar_folder, code_marks, command_line, last_stage_seconds
from uvlp.config import get_dataset
from uvlp.registry import get_method, method_names
from uvlp.data import list_images, load_descriptions
from uvlp.evaluate import evaluate_folder, load_split
from uvlp.tiny import TINY_STEPS, train_tiny
from uvlp.utils import atomic_write, load_json

def cells() -> dict:
    """Cell -> (label, settings): every method of the registry in its order with its published CIFAR-10 preset where it has one
    (VLCP's `run_cifar10.sh`: contamination 0, threshold 0.3), UVLP's synthesis ablations, the sets of every image last"""
    ms = [get_method(n) for n in method_names()]
    own = {m.name: (m.label, dict(method=m.name) | m.presets.get('cifar10', {})) for m in ms if not m.all_images}
    abl = {'uvlp_decode': ('UVLP, decode', dict(method='uvlp', synthesis='decode')), 'uvlp_real': ('UVLP, real member', dict(method='uvlp', synthesis='real'))}
    return own | abl | {m.name: (m.label, dict(method=m.name)) for m in ms if m.all_images}

CELLS = {c: s for c, (_, s) in cells().items()}   # cell -> its settings
NAMES = {c: label for c, (label, _) in cells().items()}   # cell -> its column label

def build_stack(data:Path, stack:Path, ds, steps:dict, seed:int) -> dict:
    "Train (once) the colour tiny stack on the training images and their captions; its manifest"
    if not (stack / 'manifest.json').exists():
        x, _ = load_split(data, ds, 'train', 0.)
        caps = load_descriptions(data / 'train', list_images(data, ds, 'train', 0.).paths, ds, max_missing=0.)
        print(f"training the colour tiny stack on {len(x)} images, steps {steps} ...", flush=True)
        train_tiny(stack, seed, steps, device='cpu', data=(x.float() / 255, caps))
    return load_json(stack / 'manifest.json')

def run_cell(cell:str, data:Path, stack:Path, work:Path, ds, a, want:dict) -> dict:
    "Distil one cell with the pipeline (resumed where it stopped), then score its set: the record plus seconds"
    from uvlp.pipeline import DistillConfig, distill
    cfg = DistillConfig(dataset='cifar10', data_root=str(data), sd=str(stack), clip_model='tiny', ipc=a.ipc, seed=a.seed,
                        feature_cache=str(work / 'feature_cache'), evaluate=False, device='cpu', out_dir=str(work / cell), **CELLS[cell])
    t = time.time(); run = distill(cfg, progress=False); t_distil = time.time() - t
    r = evaluate_folder(run.set_dir('distilled'), data, ds, eval_nets=('convnet',), eval_repeats=want['repeats'], eval_epochs=want['epochs'],
                        seed=a.seed, device='cpu', out=run.root / 'eval_short')
    stages = last_stage_seconds(run.root)
    return r | dict(settings=want, config=CELLS[cell], run_dir=str(run.root), distil_s=t_distil, stages_s=stages,
                    eval_s=time.time() - t - t_distil, command=command_line(), threads=torch.get_num_threads(), date=datetime.date.today().isoformat())

def in_order(cells:dict) -> dict: return {c: cells[c] for c in CELLS if c in cells}   # the JSON file sorts its keys

def table(cells:dict, signs:dict={}) -> str:
    "One markdown row (ConvNet-3), one column per method: mean ± population std; a cell's name followed by its sign in `signs` (name -> sign)"
    r = lambda c: cells[c]['results']['convnet']
    head = [NAMES[c] + (signs.get(NAMES[c], '') and ' ' + signs[NAMES[c]]) + ('' if cells[c]['settings'] == cells.get('random', cells[c])['settings'] else
                        f" ({cells[c]['settings']['epochs']} ep, {cells[c]['settings']['repeats']} run{'s' * (cells[c]['settings']['repeats'] > 1)})")
            for c in cells]
    return '\n'.join(['| net | ' + ' | '.join(head) + ' |', '|---|' + '---:|' * len(cells),
                      '| ConvNet-3 | ' + ' | '.join(f"{r(c)['mean']:.1f} ± {r(c)['std']:.1f}" for c in cells) + ' |',
                      '| ConvNet-3, run 1 only (same seed in every cell) | ' + ' | '.join(f"{r(c)['best'][0]:.1f}" for c in cells) + ' |'])

def write_md(rec:dict, path:Path, refuse_stale:bool=False):
    "The table, how it was made and what is missing, as markdown; the cells not made by today's code marked (or refused)"
    cells, s, st = in_order(rec['cells']), rec['settings'], rec['stack']
    missing = [c for c in CELLS if c not in cells]
    signs, head, notes = code_marks({NAMES[c]: r.get('stamp') for c, r in cells.items()}, cell_stamp(__file__), refuse_stale)
    lines = [head, '', f"CIFAR-10, real test images divided per class 80/20 into train/val with seed {s['seed']} ({rec['n_train']} / {rec['n_val']} images); "
             f"IPC {s['ipc']}; every method through a colour tiny stack (CLIP, VAE, UNet) trained here on the {rec['n_train']} training images "
             f"and their grounded colour captions (steps {st['steps']}, {sum(st['seconds'].values()) / 60:.0f} min on {st['threads']} thread(s)); "
             f"ConvNet-3 at 32 px, best top-1 (%) on val, mean ± population std over runs.", '',
             f"**Shortened schedule, NOT the protocol (1000 epochs):** {s['epochs']} epochs × {s['repeats']} runs per set unless its column says otherwise; full data "
             f"{s['full_epochs']} epochs × {s['full_repeats']} run(s) (LR milestones and evaluations scaled).", '',
             table(cells, signs), '', *([notes, ''] if notes else [])]
    late = [NAMES[c] for c, r in cells.items() if c != 'full' and r['settings']['repeats'] != s['repeats']]
    if late: lines += [f"{', '.join(late)}: 1 run only (`--cell-repeats 1`, to fit the time), the same seed as run 1 of the "
                       f"{s['repeats']}-run cells: compare them on the run-1 row.", '']
    lines += ['Seconds per cell (distillation: features, prototypes, synthesis; evaluation), 1 thread, CPU:']
    lines += [f"- {NAMES[c]}: distil {r['distil_s']:.0f} s ({', '.join(f'{k} {v:.0f}' for k, v in r['stages_s'].items())}), eval {r['eval_s']:.0f} s"
              for c, r in cells.items()]
    lines += ['', f"Made by `{rec['command']}` (cells may run in parallel processes, each given some `--cells`)."]
    if missing: lines += ['', f"**Missing:** {', '.join(missing)} — resume with `{rec['command']}` (finished cells are skipped)."]
    with atomic_write(path) as fh: fh.write('\n'.join(lines) + '\n')

def write_png(rec:dict, path:Path):
    "Bars (mean ± std) per method and, beside them, image 0 of each class for every cell"
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from PIL import Image
    cells, ids = in_order(rec['cells']), rec['class_ids']
    fig, (ax, im) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw=dict(width_ratios=[1, 1.3]))
    r = [cells[c]['results']['convnet'] for c in cells]
    ax.barh(range(len(r)), [x['mean'] for x in r], xerr=[x['std'] for x in r], color='tab:blue')
    ax.set_yticks(range(len(r)), [NAMES[c] for c in cells], fontsize=8); ax.invert_yaxis()
    ax.set_xlabel('ConvNet-3 top-1 (%), CIFAR-10 val'); ax.set_title('IPC 10, tiny colour stack, shortened schedule', fontsize=9)
    rows = [c for c in cells if c != 'full'] or ['full']
    tile = lambda f: Image.open(f).convert('RGB').resize((32, 32)) if f.exists() else Image.new('RGB', (32, 32), 'lightgrey')   # grey: a cell being redone
    grid = [[tile(Path(cells[c]['run_dir']) / 'distilled' / cid / '0.png') for cid in ids] for c in rows]
    canvas = Image.new('RGB', (32 * len(ids), 32 * len(rows)), 'white')
    for i, row in enumerate(grid):
        for j, x in enumerate(row): canvas.paste(x, (32 * j, 32 * i))
    im.imshow(canvas); im.set_yticks([16 + 32 * i for i in range(len(rows))], [NAMES[c] for c in rows], fontsize=7)
    im.set_xticks([16 + 32 * j for j in range(len(ids))], ids, fontsize=6, rotation=60); im.set_title('image 0 of each class', fontsize=9)
    fig.tight_layout(); buf = io.BytesIO(); fig.savefig(buf, format='png', dpi=80); plt.close(fig)
    with atomic_write(path, 'wb') as fh: Image.open(buf).convert('RGB').quantize(128).save(fh, format='png', optimize=True)   # < 100 KB

def record(out:Path, rec:dict, cell:str, entry:dict) -> dict:
    "Add `cell` to the results, re-reading the file first so cells recorded meanwhile by a parallel process are kept"
    rec = add_entry(out, rec, 'cells', cell, entry, CELLS, lambda saved: saved.get('settings') == rec['settings'])
    write_md(rec, out.with_suffix('.md')); write_png(rec, out.with_suffix('.png'))
    return rec

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=CIFAR_ROOT)
    p.add_argument('--work', default='/work/scratch/cifar_methods', help='ImageFolder, feature cache and one run directory per cell')
    p.add_argument('--stack', default='/work/scratch/cifar_stack', help='where the colour tiny stack is trained (once) and read')
    p.add_argument('--steps', type=int, nargs=3, default=[TINY_STEPS[k] for k in ('clip', 'vae', 'unet')], metavar=('CLIP', 'VAE', 'UNET'))
    p.add_argument('--ipc', type=int, default=10); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--epochs', type=int, default=100); p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--full-epochs', type=int, default=8); p.add_argument('--full-repeats', type=int, default=1)
    p.add_argument('--cell-repeats', type=int, default=None,
                   help='runs for the cells of this invocation instead of --repeats (recorded per cell; run 1 is the same seed as run 1 of --repeats)')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    p.add_argument('--cells', nargs='+', default=list(CELLS), choices=list(CELLS))
    p.add_argument('--out', default=str(RESULTS / 'cifar_methods.json'))
    p.add_argument('--report', action='store_true', help='rewrite the .md from the .json alone; run nothing')
    p.add_argument('--refuse-stale', action='store_true', help="with --report: refuse (raise) when a cell was not made by today's code, instead of marking it")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(name)s %(message)s')
    if a.refuse_stale and not a.report: p.error('--refuse-stale goes with --report')
    if a.report:   # the .md from the .json alone
        write_md(load_json(a.out), Path(a.out).with_suffix('.md'), a.refuse_stale)
        return print(Path(a.out).with_suffix('.md').read_text())
    start = cell_stamp(__file__)   # the code this process imports
    torch.set_num_threads(a.threads)
    ds, work, out = get_dataset('cifar10'), Path(a.work), Path(a.out)
    data = cifar_folder(a.root, work, ds, CIFAR_HOLDOUT, a.seed)
    stack = build_stack(data, Path(a.stack), ds, dict(zip(('clip', 'vae', 'unet'), a.steps)), a.seed)
    settings = dict(root=a.root, seed=a.seed, ipc=a.ipc, epochs=a.epochs, repeats=a.repeats, full_epochs=a.full_epochs, full_repeats=a.full_repeats)
    rec = dict(settings=settings, stack=stack, stack_dir=a.stack, class_ids=list(ds.class_ids), command=f'OMP_NUM_THREADS=1 python benchmarks/cifar_methods.py --epochs {a.epochs} --repeats {a.repeats} '
               f'--full-epochs {a.full_epochs} --full-repeats {a.full_repeats} --steps {" ".join(map(str, a.steps))}',
               n_train=len(list_images(data, ds, 'train', 0.).paths), n_val=len(list_images(data, ds, 'val', 0.).paths))
    done = (load_json(out) if out.exists() else {}).get('cells', {}) if (load_json(out) if out.exists() else {}).get('settings') == settings else {}
    for cell in a.cells:
        want = dict(epochs=a.full_epochs, repeats=a.full_repeats) if cell == 'full' else dict(epochs=a.epochs, repeats=a.cell_repeats or a.repeats)
        if cell in done and done[cell]['settings'] == want: continue
        entry = run_cell(cell, data, Path(a.stack), work, ds, a, want) | dict(stamp=cell_stamp(__file__, since=start))
        rec = record(out, rec, cell, entry)
        r = entry['results']['convnet']
        print(f"{NAMES[cell]}: {r['mean']:.2f} ± {r['std']:.2f}  (distil {entry['distil_s']:.0f} s, eval {entry['eval_s']:.0f} s)", flush=True)
        print(table(in_order(rec['cells'])), flush=True)
    if out.exists(): print(out.with_suffix('.md').read_text())

if __name__ == '__main__': main()
