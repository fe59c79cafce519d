"""Every method of the comparison, and the synthesis and fusion ablations, on the embedded digits (tiny stack, CPU, one thread).

What runs: `uvlp.pipeline` runs of the embedded 8×8 digits (shown at 32 px) with the shipped tiny CLIP and tiny SD,
seed 0, IPC 1, 10 and 20, for every column of `VARIANTS`: the real-image selections (Random, K-Center, Herding), the
prototype rules D4M, VLCP and UVLP with their default synthesis (SDEdit) and with the `decode` (VAE-decode the prototype
latent, no diffusion) and `real` (the prototype's best member's real image) synthesis ablations, three fusion ablations of
UVLP (α = 1: image only; α = 0: text only; no class / cluster α search), and the full training set (IPC 10 only: it is
the same set at every IPC, so its rows stand in every IPC block; one repeat). Evaluation: ConvNet-3 (32 px), 3 repeats,
--epochs epochs (default 10): a SHORTENED schedule, not the evaluation protocol.

Cost: the 'Random' row of every run is the same images evaluated with the same seed, so it is trained once per IPC (by
the 'Random' run) and its record is copied into the other runs of that IPC after checking that their random images are
byte-identical (`uvlp.utils.tree_digest`); otherwise the run evaluates it itself. Features are extracted once into a
shared feature cache.

Resumable in pieces: each cell is a run directory under --work (default /work/scratch/compare_digits, outside the
repository); a finished cell costs ~nothing on a rerun. Each finished cell is also appended to <work>/cells.jsonl (its
top-1 of every repeat, wall seconds, stage seconds, and `common.cell_stamp`: the commit and the digest of the code that made
it). `--report` writes benchmarks/results/compare_digits.{md,png,json} from whatever cells are done (<work>/cells.jsonl, or
without it the cells of benchmarks/results/compare_digits.json alone): the table and figure, and the seconds of each stage
of every method at IPC 10; a cell not made by today's code is marked in the tables and named under them (`--refuse-stale`:
refuse instead). To redo a cell, delete its run directory and its line of cells.jsonl.

    OMP_NUM_THREADS=1 setsid nohup python benchmarks/compare_digits.py > /work/scratch/compare_digits.log 2>&1 &
    python benchmarks/compare_digits.py --report [--refuse-stale]

A piece at a time: `--only LABEL ... --ipcs N ...` runs just those cells. The pipeline refuses to resume a run directory
whose settings key today's code computes otherwise (e.g. cells made before `text_policy` existed), so after such a change
run only the missing cells; the finished ones are kept and reported as they are.
"""
import argparse, dataclasses, json, logging, shutil, statistics, sys, time
from pathlib import Path
import torch
from uvlp.registry import REFERENCE, get_method, method_label, method_names
from common import RESULTS, cell_stamp, code_marks, stage_seconds
IPCS = (10, 1, 20)   # IPC 10 first: the block the stage seconds are read from
def variants() -> dict:
    """Column label -> settings: every method of the registry in its order (its record's label; the sets of every image
    last, trained once: ~14x the images of IPC 10, too slow for 3 runs on the shared CPU), each prototype rule's synthesis
    ablations, and UVLP's fusion ablations"""
    ms = [get_method(n) for n in method_names()]
    own = {m.label: dict(method=m.name) for m in ms if not m.all_images}
    synth = {f'{m.label} {mode}': dict(method=m.name, synthesis=mode) for m in ms if m.generative for mode in ('decode', 'real')}
    fusion = {'UVLP α=1 (image only)': dict(method='uvlp', alpha=1.0), 'UVLP α=0 (text only)': dict(method='uvlp', alpha=0.0),
              'UVLP no α search': dict(method='uvlp', class_search=False, cluster_search=False)}
    return own | synth | fusion | {m.label: dict(method=m.name, eval_repeats=1) for m in ms if m.all_images}

VARIANTS = variants()
REF, ALL = method_label(REFERENCE), [m.label for m in map(get_method, method_names()) if m.all_images]   # the reference row; the sets of every image
FULL_IPC = 10

def cells(work:Path, epochs:int, ipcs=IPCS) -> list:
    "(label, ipc, DistillConfig) of every cell, IPC 10 first, 'Random' first in each IPC, 'Full' last of IPC 10"
    from uvlp.pipeline import DistillConfig
    from uvlp.sweep import cell_name
    base = dict(dataset='digits', seed=0, eval_nets=('convnet',), eval_repeats=3, eval_epochs=epochs, device='cpu',
                feature_cache=str(work/'feature_cache'))
    run = lambda lab, i: (lab, i, DistillConfig(**(base | VARIANTS[lab]), ipc=i, out_dir=str(work/cell_name('digits', i, 0, lab))))
    block = lambda i: [run(lab, i) for lab in VARIANTS if lab not in ALL] + [run(lab, i) for lab in ALL if i == FULL_IPC]
    return [c for i in ipcs for c in block(i)]

def reuse_random(ctx, donor:Path|None) -> bool:
    "Copy the donor run's stamped 'Random' record into this run when its random images are byte-identical to the donor's"
    from uvlp.pipeline import RunDir, images_done, write_random
    from uvlp.utils import tree_digest
    part = ctx.run.eval_part(REF, ctx.cfg.eval_nets[0])
    if donor is None or ctx.cfg.method == REFERENCE or ctx.run.done(part): return False
    d = RunDir(donor)
    if not d.done(d.eval_part(REF, ctx.cfg.eval_nets[0])): return False
    for c in range(ctx.info.n_classes):
        if not images_done(ctx.run, ctx.info.class_ids[c], ctx.cfg.ipc, 'random'): write_random(ctx, c)
    if tree_digest(ctx.run.set_dir('random')) != tree_digest(d.set_dir('distilled')): return False
    part.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(d.eval_part(REF, ctx.cfg.eval_nets[0]), part); ctx.run.stamp(part)
    return True

def run_cell(cfg, donor:Path|None) -> dict:
    "Run or resume one cell: the stages up to synthesis (timed in the manifest), the Random record reused if possible, evaluation"
    from uvlp.pipeline import EVALUATION, open_run, run_stage, run_stages
    with open_run(cfg) as ctx:
        run_stages(dataclasses.replace(ctx, cfg=dataclasses.replace(cfg, evaluate=False)), progress=False)
        reused = reuse_random(ctx, donor)
        run_stage(ctx, EVALUATION, progress=False)
    return dict(reused_random=reused)

def running_table(work:Path) -> str:
    "The cells done so far: label, IPC, mean top-1 of the set and of Random, wall seconds"
    lines = [json.loads(l) for l in (work/'cells.jsonl').read_text().splitlines()] if (work/'cells.jsonl').exists() else []
    return '\n'.join(f"{c['label']:<24} ipc {c['ipc']:>2}  {c['top1']:6.2f}  (Random {c['random']:6.2f})  {c['wall_s']:7.1f} s"
                     for c in lines)

def run_all(work:Path, epochs:int, threads:int, only:list|None=None, ipcs=IPCS):
    from uvlp.utils import load_json
    torch.set_num_threads(threads)
    work.mkdir(parents=True, exist_ok=True)
    done = {(c['label'], c['ipc']) for c in map(json.loads, (work/'cells.jsonl').read_text().splitlines())} if (work/'cells.jsonl').exists() else set()
    donors, start = {}, cell_stamp(__file__)   # the code this process imports
    for lab, ipc, cfg in cells(work, epochs, ipcs):
        if only and lab not in only: continue
        t = time.time()
        info = run_cell(cfg, donors.get(ipc))
        if cfg.method == REFERENCE: donors[ipc] = Path(cfg.out_dir)
        m, wall = load_json(Path(cfg.out_dir)/'eval/metrics.json'), time.time() - t
        mean = lambda s: sum(b := m['records'][s]['results']['convnet']['best']) / len(b)
        own = m['records'][method_label(cfg.method)]['results']['convnet']
        rec = dict(label=lab, ipc=ipc, run=cfg.out_dir, wall_s=round(wall, 1), seconds={k: round(v, 3) for k, v in stage_seconds(cfg.out_dir).items()},
                   top1=mean(method_label(cfg.method)), random=mean(REF), best=list(own['best']), net=own['label'], official=m['official'],
                   epochs=cfg.eval_epochs, stamp=cell_stamp(__file__, since=start), **info)
        if (lab, ipc) not in done:
            with open(work/'cells.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
        print(f"cell {lab} ipc {ipc}: {wall:.1f} s wall, stages {rec['seconds']}, reused Random: {info['reused_random']}", flush=True)
        print(running_table(work), flush=True)

def read_cells(work:Path, out:Path) -> list:
    "The cells done: <work>/cells.jsonl (the last line of each label and IPC), or without it the cells of the results file `out`.json"
    from uvlp.utils import load_json
    cs = ([json.loads(l) for l in (work/'cells.jsonl').read_text().splitlines()] if (work/'cells.jsonl').exists() else
          load_json(out.with_suffix('.json'))['cells'])
    return list({(c['label'], c['ipc']): c for c in cs}.values())

def cell_key(c) -> str: return f"{c['label']} IPC {c['ipc']}"   # a cell's name in the notes under the tables

def report(work:Path, out:Path, refuse_stale:bool=False):
    "The markdown table, the figure and the stage seconds of the cells done so far, each cell not made by today's code marked"
    from uvlp.sweep import collect, sweep_table, plot_sweep
    from uvlp.utils import save_json, atomic_write
    cs = read_cells(work, out)
    signs, head, notes = code_marks({cell_key(c): c.get('stamp') for c in cs}, cell_stamp(__file__), refuse_stale)
    sign = lambda c: signs[cell_key(c)] and ' ' + signs[cell_key(c)]
    cols = list(VARIANTS)
    at10 = {c['label']: c for c in cs if c['ipc'] == 10}
    if all('best' in c for c in cs):
        rows = [dict(dataset='digits', ipc=i, seed=0, set=c['label'], net='convnet', label=c['net'], best=c['best'], official=c['official'])
                for c in cs for i in (sorted({c['ipc'] for c in cs}) if c['label'] in ALL else [c['ipc']])]
        fig = plot_sweep(rows, cols); fig.savefig(out.with_suffix('.png'), dpi=80)
    else: print(f"{out.with_suffix('.png')} left as it is: cells recorded without the top-1 of each repeat cannot be drawn", file=sys.stderr)
    wall = sum(c['wall_s'] for c in cs)
    stages = ['features', 'prototypes', 'synthesis', 'evaluation']
    sec = ['| Column | ' + ' | '.join(stages) + ' |', '|---|' + '---:|' * len(stages)]
    sec += [f"| {lab}{sign(c)} | " + ' | '.join(f"{c['seconds'].get(k, 0):.1f}" for k in stages) + ' |' for lab, c in at10.items()]
    md = ["# Every method on the embedded digits (tiny stack, CPU)\n", head + '\n',
          f"Embedded digits at 32 px, the shipped tiny CLIP, VAE and UNet (small models trained on these digits, not the paper's CLIP ViT-L/14 and SD 1.5), seed 0; "
          f"ConvNet-3, best top-1 (%) mean ± std over 3 repeats; **shortened schedule: {'/'.join(map(str, sorted({c['epochs'] for c in cs})))} epochs, not the "
          f"evaluation protocol**. Best of a row in bold, second underlined. 'Full' is the whole training set (run once, at IPC "
          f"{FULL_IPC}, shown in every block; ONE training run, so its ± is 0). {len(cs)} cells, {wall / 60:.0f} min wall on one thread of a shared 2-core machine.\n",
          digits_table(cs, cols, sign), '', *([notes, ''] if notes else []), paired_table(cs, cols, sign), '', "Seconds per stage at IPC 10 (one thread; summed over resumed invocations; the "
          "evaluation of runs that reused the Random record trains one set, the others two):\n", *sec, '',
          'Made by `OMP_NUM_THREADS=1 python benchmarks/compare_digits.py` then `--report`.']
    with atomic_write(out.with_suffix('.md')) as f: f.write('\n'.join(md) + '\n')
    save_json(dict(stage_seconds_ipc10={lab: c['seconds'] for lab, c in at10.items()}, cells=cs), out.with_suffix('.json'))
    print('\n'.join(md))

def digits_table(cs:list, cols:list, sign) -> str:
    """A row per IPC, a 'mean ± std' column per set (the std of the repeats' top-1, or as recorded), best **bold**, second
    <u>underlined</u> (`uvlp.sweep.marks`), each cell followed by `sign(cell)`; 'Full' in every row"""
    from uvlp.sweep import marks
    ipcs, full = sorted({c['ipc'] for c in cs}), [c for c in cs if c['label'] in ALL]
    std = lambda c: statistics.pstdev(c['best']) if 'best' in c else c['std']
    fmt = {'best': '**{}**', 'second': '<u>{}</u>'}
    lines = ['| Dataset | IPC | Network | ' + ' | '.join(cols) + ' |', '|---|---:|---|' + '---:|' * len(cols)]
    for i in ipcs:
        got = {c['label']: c for c in cs if c['ipc'] == i} | {c['label']: c for c in full}
        mk = marks({s: got[s]['top1'] if s in got else None for s in cols})
        text = lambda s: '–' if s not in got else fmt.get(mk[s], '{}').format(f"{got[s]['top1']:.1f} ± {std(got[s]):.1f}") + sign(got[s])
        lines.append(f"| digits | {i} | {next(iter(got.values()))['net']} | " + ' | '.join(map(text, cols)) + ' |')
    return '\n'.join(lines) + ('' if all(c['official'] for c in cs) else "\n\n*Shortened training (not the evaluation protocol's epochs).*")

def paired_table(cs:list, cols:list, sign=lambda c: '') -> str:
    "Each run's own set against the random real images of the same run (saved at that method's image size), mean top-1"
    ipcs = sorted({c['ipc'] for c in cs})
    got = {(c['label'], c['ipc']): c for c in cs}
    lines = ["Each run against its own 'Random' copy (the same selection, saved at that method's image size: VLCP's is 8 px and "
             "D4M's 224 px on the digits, the others 32 px): mean top-1 of the run's set / of its Random copy.\n",
             '| Column | ' + ' | '.join(f'IPC {i}' for i in ipcs) + ' |', '|---|' + '---:|' * len(ipcs)]
    cell = lambda c: '–' if c is None else f"{c['top1']:.1f} / {c['random']:.1f}" + sign(c)
    return '\n'.join(lines + [f"| {lab} | " + ' | '.join(cell(got.get((lab, i))) for i in ipcs) + ' |' for lab in cols if lab != 'Random'])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work', default='/work/scratch/compare_digits', help='run directories and cells.jsonl (outside the repository)')
    p.add_argument('--epochs', type=int, default=10, help='evaluation epochs (a shortened schedule, not the protocol)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--report', action='store_true', help='write benchmarks/results/compare_digits.{md,png,json} from the cells done')
    p.add_argument('--refuse-stale', action='store_true', help="with --report: refuse (raise) when a cell was not made by today's code, instead of marking it")
    p.add_argument('--only', nargs='+', default=None, help='run only these columns (labels of VARIANTS), e.g. --only "UVLP no α search"')
    p.add_argument('--ipcs', type=int, nargs='+', default=list(IPCS), help='run only these IPCs')
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if a.only and (bad := sorted(set(a.only) - set(VARIANTS))): p.error(f"unknown column(s) {bad}: choose from {list(VARIANTS)}")
    if a.refuse_stale and not a.report: p.error('--refuse-stale goes with --report')
    if a.report: report(Path(a.work), RESULTS/'compare_digits', a.refuse_stale)
    else: run_all(Path(a.work), a.epochs, a.threads, a.only, tuple(a.ipcs))
