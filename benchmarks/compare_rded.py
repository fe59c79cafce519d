"""Every method on the embedded digits under RDED's soft-label protocol, with DD-Ranking's LRS and ARS (tiny stack, CPU).

The columns of compare_digits.py (every method of the registry, each prototype rule's synthesis ablations, UVLP's
fusion ablations, the full data) at IPC 1, 10 and 50: RDED's batch-size rule covers only those IPCs (IPC 20, a column of
the hard-label table, has no batch size under it, `uvlp.softlabel.rded_batch_size`). Each cell is one run of
`uvlp.pipeline` with `eval_protocol='rded'`:
- the teacher: a ConvNet (batch norm) trained here on the whole digits training split (`uvlp.teacher.train_teacher`,
  --teacher-epochs), its weights' digest and val top-1 recorded in every cell;
- the students: ConvNet (batch norm), 3 runs, E = --epochs of RDED's cosine schedule — a shortened schedule, NOT the
  protocol's 500 (VLCP) or 300 (RDED) epochs;
- `dd_ranking`: each row also trained without augmentation, the method's set under hard labels, and the full data under
  hard labels (the same shortened epochs; trained once and cached in <work>/full_cache); LRS and ARS per run from
  those accuracies as fractions (`uvlp.pipeline.ddr_scores`). DD-Ranking's learning-rate search is off (`lr_search`).
The Random row of a run is the same images in every run of an IPC; unlike compare_digits.py it is trained by each run.

Resumable in pieces: each cell is a run directory under --work; each finished cell is appended to <work>/cells.jsonl
with its stamp (`common.cell_stamp`: the commit and the digest of the code that made it). `--report` writes
benchmarks/results/compare_rded.{md,json} from <work>/cells.jsonl (or the .json alone), every cell not made by today's
code marked (`--refuse-stale`: refuse instead).

    OMP_NUM_THREADS=1 setsid nohup python benchmarks/compare_rded.py > compare_rded.log 2>&1 &
    python benchmarks/compare_rded.py --report
"""
import argparse, json, logging, statistics, time
from pathlib import Path
import torch
from common import RESULTS, cell_stamp, code_marks, stage_seconds
from compare_digits import FULL_IPC, VARIANTS, digits_table
import compare_digits

IPCS = (10, 1, 50)   # RDED's batch-size rule: IPC 1, 10 and 50 only

def train_digits_teacher(work:Path, epochs:int) -> Path:
    "The teacher folder: a batch-norm ConvNet trained (once; resumed if stopped) on the whole digits training split"
    from uvlp.data import write_digits_folder
    from uvlp.teacher import train_teacher
    out = work/'teacher'
    if not (out/'teacher.json').exists():
        root = work/'digits' if (work/'digits'/'train').is_dir() else write_digits_folder(work/'digits')
        train_teacher(root, 'digits', out, arch='uvlp:convnet', epochs=epochs, seed=0, device='cpu', progress=False)
    return out

def cells(work:Path, epochs:int, teacher:Path, ipcs=IPCS) -> list:
    "(label, ipc, DistillConfig) of every cell, IPC 10 first, the full data last of IPC 10"
    from uvlp.settings import DistillConfig
    from uvlp.sweep import cell_name
    base = dict(dataset='digits', seed=0, eval_nets=('convnet',), eval_repeats=3, eval_epochs=epochs, eval_protocol='rded',
                teacher=str(teacher), dd_ranking=True, full_cache=str(work/'full_cache'), feature_cache=str(work/'feature_cache'), device='cpu')
    unscored = [compare_digits.REF, *compare_digits.ALL]   # the reference row and the full data: no scores of their own
    run = lambda lab, i: (lab, i, DistillConfig(**(base | VARIANTS[lab] | ({'dd_ranking': False} if lab in unscored else {})), ipc=i,
                                                out_dir=str(work/cell_name('digits', i, 0, lab))))
    block = lambda i: [run(lab, i) for lab in VARIANTS if lab not in compare_digits.ALL] + [run(lab, i) for lab in compare_digits.ALL if i == FULL_IPC]
    return [c for i in ipcs for c in block(i)]

def cell_record(lab:str, ipc:int, cfg, wall:float, start:dict) -> dict:
    "What a finished cell adds to cells.jsonl: its top-1 per run, its Random row's, LRS and ARS per run, the teacher, the stamp"
    from uvlp.registry import method_label, REFERENCE
    from uvlp.utils import load_json
    m = load_json(Path(cfg.out_dir)/'eval/metrics.json')
    own, ref = m['records'][method_label(cfg.method)]['results']['convnet'], m['records'].get(method_label(REFERENCE))
    scores = m.get('dd_ranking', {}).get('convnet', {})
    return dict(label=lab, ipc=ipc, run=cfg.out_dir, wall_s=round(wall, 1), seconds={k: round(v, 3) for k, v in stage_seconds(cfg.out_dir).items()},
                top1=statistics.mean(own['best']), best=list(own['best']), net=own['label'], official=m['official'], epochs=cfg.eval_epochs,
                random=statistics.mean(ref['results']['convnet']['best']) if ref else statistics.mean(own['best']),
                lrs=scores.get('lrs'), ars=scores.get('ars'), teacher={k: m['teacher'][k] for k in ('arch', 'weights_sha256', 'val_top1')},
                stamp=cell_stamp(__file__, compare_digits.__file__, since=start))

def run_all(work:Path, epochs:int, teacher_epochs:int, only:list|None=None, ipcs=IPCS):
    from uvlp.pipeline import distill
    torch.set_num_threads(1)
    work.mkdir(parents=True, exist_ok=True)
    start, teacher = cell_stamp(__file__, compare_digits.__file__), train_digits_teacher(work, teacher_epochs)
    done = {(c['label'], c['ipc']) for c in map(json.loads, (work/'cells.jsonl').read_text().splitlines())} if (work/'cells.jsonl').exists() else set()
    for lab, ipc, cfg in cells(work, epochs, teacher, ipcs):
        if (only and lab not in only) or (lab, ipc) in done: continue
        t = time.time(); distill(cfg, progress=False)
        rec = cell_record(lab, ipc, cfg, time.time() - t, start)
        with open(work/'cells.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
        print(f"cell {lab} ipc {ipc}: top-1 {rec['top1']:.2f} (Random {rec['random']:.2f}), LRS {rec['lrs'] and round(statistics.mean(rec['lrs']), 3)}, "
              f"ARS {rec['ars'] and round(statistics.mean(rec['ars']), 3)}, {rec['wall_s']:.0f} s", flush=True)

def scores_table(cs:list, cols:list, sign) -> str:
    "A row per IPC, a 'LRS / ARS' column per set (means over the runs, as fractions); the full data and the Random row have none"
    ipcs = sorted({c['ipc'] for c in cs})
    got = {(c['label'], c['ipc']): c for c in cs}
    has = [lab for lab in cols if any(got.get((lab, i), {}).get('lrs') for i in ipcs)]
    f = lambda c: '–' if not c or not c.get('lrs') else f"{statistics.mean(c['lrs']):.3f} / {statistics.mean(c['ars']):.3f}" + sign(c)
    return '\n'.join(['| IPC | ' + ' | '.join(has) + ' |', '|---:|' + '---:|' * len(has)]
                     + [f"| {i} | " + ' | '.join(f(got.get((lab, i))) for lab in has) + ' |' for i in ipcs])

def report(work:Path, out:Path, refuse_stale:bool=False):
    "The top-1 table, the LRS / ARS table and the teacher of the cells done so far, each cell not made by today's code marked"
    from uvlp.utils import atomic_write, save_json
    cs = compare_digits.read_cells(work, out)
    key = lambda c: f"{c['label']} IPC {c['ipc']}"
    signs, head, notes = code_marks({key(c): c.get('stamp') for c in cs}, cell_stamp(__file__, compare_digits.__file__), refuse_stale)
    sign = lambda c: signs[key(c)] and ' ' + signs[key(c)]
    cols, teachers = list(VARIANTS), {json.dumps(c['teacher'], sort_keys=True) for c in cs}
    t = json.loads(next(iter(teachers)))
    md = ["# Every method on the embedded digits under RDED's soft-label protocol, with DD-Ranking's scores (tiny stack, CPU)\n", head + '\n',
          f"Embedded digits at 32 px, the shipped tiny stack, seed 0; teacher: {t['arch']} (batch norm) trained here on the whole training split, "
          f"val top-1 {t['val_top1']:.1f} %, weights sha256 {t['weights_sha256'][:12]}" + ('' if len(teachers) == 1 else ' (**cells differ in their teacher**)') + "; "
          f"students: ConvNet (batch norm), best top-1 (%) mean ± std over 3 runs; **shortened schedule: {'/'.join(map(str, sorted({c['epochs'] for c in cs})))} "
          "epochs of RDED's cosine schedule, not the protocol's 500**. IPC 1, 10 and 50: RDED's batch-size rule has no IPC 20. 'Full' is the whole "
          f"training set under the same protocol (run once, at IPC {FULL_IPC}, shown in every row). {len(cs)} cells, "
          f"{sum(c['wall_s'] for c in cs) / 60:.0f} min wall on one thread of a shared 2-core machine.\n",
          digits_table(cs, cols, sign), '', *([notes, ''] if notes else []),
          "DD-Ranking's scores, LRS / ARS (means over the 3 runs; accuracies as fractions — DD-Ranking's code feeds percentages; "
          "the hard-label and full-data terms under the same shortened schedule):\n", scores_table(cs, cols, sign), '',
          'Made by `OMP_NUM_THREADS=1 python benchmarks/compare_rded.py` then `--report`.']
    with atomic_write(out.with_suffix('.md')) as f: f.write('\n'.join(md) + '\n')
    save_json(dict(cells=cs), out.with_suffix('.json'))
    print('\n'.join(md))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work', default='/work/scratch/compare_rded', help='run directories, the teacher and cells.jsonl (outside the repository)')
    p.add_argument('--epochs', type=int, default=30, help="E of RDED's schedule for every training (a shortened schedule, not the protocol)")
    p.add_argument('--teacher-epochs', type=int, default=30)
    p.add_argument('--report', action='store_true', help='write benchmarks/results/compare_rded.{md,json} from the cells done')
    p.add_argument('--refuse-stale', action='store_true', help="with --report: refuse when a cell was not made by today's code")
    p.add_argument('--only', nargs='+', default=None, help='run only these columns (labels of compare_digits.VARIANTS)')
    p.add_argument('--ipcs', type=int, nargs='+', default=list(IPCS), choices=IPCS)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if a.only and (bad := sorted(set(a.only) - set(VARIANTS))): p.error(f"unknown column(s) {bad}: choose from {list(VARIANTS)}")
    if a.refuse_stale and not a.report: p.error('--refuse-stale goes with --report')
    if a.report: report(Path(a.work), RESULTS/'compare_rded', a.refuse_stale)
    else: run_all(Path(a.work), a.epochs, a.teacher_epochs, a.only, tuple(a.ipcs))
