"""RDED's own soft-label evaluation against ours (`uvlp.softlabel.train_soft`), side by side (issue 19 §3): the same
distilled set, teacher, student architecture and settings; prints SGD steps/s and the best val top-1 of each, per seed.

Run (about 15 minutes on 2 cores with `--rded-workers 4 0`; the data, distilled set and teacher are made once, in --work):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rded_speed.py [--epochs 100] [--seeds 0 1 2] [--rded-workers 4 0]

What is compared. The digits embedded in uvlp (scikit-learn's `load_digits`, 32 px, 10 classes): a tiny-stack
`uvlp-distill --ipc 10 --no-evaluate` run gives the distilled set (100 images) and the digits folder; `train_teacher`
(chapter 12d) trains a ConvNet-3 batch-norm teacher on the digits' training split. Both codes then train a ConvNet-3
(width 128, batch norm, average pooling: RDED's `conv3`, and uvlp's `convnet` at 32 px, the same layers and default
initialisation) with RDED's CIFAR-10 settings (`scripts/cifar10_10ipc_conv3_to_conv3_cr5.sh`, `argument.py`): factor 1,
CutMix, T = 20, AdamW lr 1e-3, weight decay 0.01, batch 50 (IPC 10), the half cosine — but for a SHORTENED --epochs
(default 100, evaluated at epochs 90 and 100, RDED's rule), not the protocol's 300/500. Validation: the same images for
both, the first k files (sorted) of every class of the digits' val split, k the smallest class count.

RDED's code used, unmodified, at run time: github.com/LINs-lab/RDED, commit 3f6453d8b18b6a9bcc6c718bc16ecda6bb94d59f,
`validation/main.py` (`main`, `main_worker`, `train`, `validate`), `validation/utils.py` (ImageFolder, ShufflePatches,
CutMix, get_parameters), `synthesize/utils.py` (`load_model`), `synthesize/models.py` (ConvNet), `argument.py` (the
settings), extracted with `git archive` from the mirror (--rded-git) into --rded-src and imported from there. Adapted,
by glue in this file only:
- `.cuda()` on modules and tensors is the identity (this machine has no GPU); `DataParallel` then runs on the CPU.
- `argument.py` parses RDED's own CIFAR-10 command line (`--subset cifar10 --arch-name conv3 --stud-name conv3
  --factor 1 --ipc 10 --re-epochs E --seed s`) in a scratch working directory (it makes `./exp/…` there); then
  `syn_data_path` and `val_dir` point at copies of our folders renamed `00000…00009` (RDED's ImageFolder reads
  `str(class).zfill(5)`), and `val_ipc` (1000 for CIFAR-10) becomes k.
- The teacher's weights are written as RDED's checkpoint `./data/pretrain_models/cifar10_conv3.pth` (`{'model': state
  dict}`, keys renamed `features.{4d}` → `layers.conv.{d}`, `features.{4d+1}` → `layers.norm.{d}`), which its
  `load_model` reads with a strict `load_state_dict`.
- numpy is seeded with the run's seed (RDED seeds only `random` and torch, so its CutMix boxes differ run to run).
- `train` and `validate` are wrapped to time them and to keep `validate`'s top-1; RDED's printing goes to a log file.
- DataLoader workers: RDED's own (argument.py sets 4 at IPC 10), and any other counts given to --rded-workers (each
  measured as its own row: 0 loads in the training process, without the worker start-up of every epoch).
Steps/s counts training only (data loading, augmentation, the passes, the step): validation time is left out of
both codes' figures; the wall seconds of whole runs are recorded too. On a shared machine wall time depends on the
other jobs, so the CPU seconds of the training process are given as well (steps per CPU second): the whole cost
for ours and for RDED with 0 workers, RDED's main process only (its loader workers not counted) with 4. Not a test: no timed assertions anywhere.
"""
import argparse, contextlib, datetime, os, platform, shlex, shutil, statistics, subprocess, sys, time, warnings
from pathlib import Path
import numpy as np
import torch
from common import RESULTS, ROOT, git, head_commit, uncommitted, write_json

RDED_COMMIT = '3f6453d8b18b6a9bcc6c718bc16ecda6bb94d59f'
RDED_ARGV = ['--subset', 'cifar10', '--arch-name', 'conv3', '--stud-name', 'conv3', '--factor', '1', '--ipc', '10']

def extract_rded(git_dir: Path, dest: Path) -> str:
    "A work tree of RDED's mirror at `dest` (made once); its commit"
    commit = git('--git-dir', str(git_dir), 'rev-parse', 'HEAD').strip()
    if not (dest/'validation/main.py').exists():
        dest.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(['git', '--git-dir', str(git_dir), 'archive', commit], capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', str(dest)], input=tar, check=True)
    return commit

def distill(work: Path, ipc: int) -> Path:
    "A tiny-stack UVLP run on the digits (its folder holds `data/` and `distilled/`), made once"
    run = work/'distill'
    if not (run/'distilled').is_dir():
        subprocess.run([sys.executable, '-m', 'uvlp.pipeline', '--dataset', 'digits', '--ipc', str(ipc), '--no-evaluate', '--device', 'cpu',
                        '--out-dir', str(run), '--log-level', 'WARNING'], check=True, cwd=ROOT)
    return run

def teacher_folder(work: Path, data: Path, epochs: int) -> Path:
    "A ConvNet-3 batch-norm teacher trained on the digits' training split (chapter 12d), made once"
    from uvlp.teacher import train_teacher
    train_teacher(data, 'digits', work/'teacher', arch='uvlp:convnet', norm='batch', epochs=epochs, device='cpu', progress=False)
    return work/'teacher'

def class_files(folder: Path, n_classes: int = 10) -> list:
    "Sorted image files of each class folder `0`…`9`"
    return [sorted((folder/str(c)).glob('*.png')) for c in range(n_classes)]

def val_files(data: Path) -> list:
    "The first k files of every val class, k the smallest class count: the same images for both codes"
    files = class_files(data/'val'); k = min(map(len, files))
    return [f[:k] for f in files]

def rded_folder(files: list, dest: Path) -> Path:
    "A copy of per-class files in RDED's layout `dest/0000c/…`"
    shutil.rmtree(dest, ignore_errors=True)
    for c, fs in enumerate(files):
        (dest/str(c).zfill(5)).mkdir(parents=True)
        for f in fs: shutil.copy(f, dest/str(c).zfill(5)/f.name)
    return dest

def rded_key(k: str) -> str:
    "Our ConvNet's state-dict key as RDED's ConvNet names it"
    if not k.startswith('features.'): return k
    i, rest = k.split('.', 2)[1:]
    return f"layers.{'conv' if int(i) % 4 == 0 else 'norm'}.{int(i) // 4}.{rest}"

def write_rded_teacher(teacher: torch.nn.Module, cwd: Path):
    "The teacher as RDED's `./data/pretrain_models/cifar10_conv3.pth`"
    path = cwd/'data/pretrain_models/cifar10_conv3.pth'; path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'model': {rded_key(k): v for k, v in teacher.state_dict().items()}}, path)

def cpu_only():
    "`.cuda()` on modules and tensors does nothing: RDED's code then runs on the CPU"
    torch.nn.Module.cuda = lambda self, *a, **k: self
    torch.Tensor.cuda = lambda self, *a, **k: self

def import_rded(src: Path, cwd: Path, epochs: int):
    "RDED's `argument.args` (parsed from its CIFAR-10 command line, in `cwd`) and its `validation.main` module"
    os.chdir(cwd); sys.path.insert(0, str(src))
    sys.argv = ['rded', *RDED_ARGV, '--re-epochs', str(epochs)]
    from argument import args
    import validation.main as vm
    return args, vm

class Timed:
    "Wraps a function: its total wall seconds, this process's CPU seconds in it, and its results"
    def __init__(self, f): self.f, self.seconds, self.cpu, self.results = f, 0.0, 0.0, []
    def __call__(self, *a, **k):
        t, c = time.perf_counter(), time.process_time()
        r = self.f(*a, **k)
        self.seconds, self.cpu = self.seconds + time.perf_counter() - t, self.cpu + time.process_time() - c
        self.results.append(r); return r

def run_rded(vm, args, seed: int, workers: int, log: Path) -> dict:
    "One run of RDED's `validation.main.main` with `workers` data-loader processes: steps/s of its training epochs, best top-1"
    args.seed, args.workers = seed, workers; np.random.seed(seed)
    train, validate = Timed(vm.train), Timed(vm.validate)
    orig = vm.train, vm.validate
    vm.train, vm.validate = train, validate
    t0 = time.perf_counter()
    try:
        with open(log, 'w') as f, contextlib.redirect_stdout(f): vm.main(args)
    finally: vm.train, vm.validate = orig
    steps = args.re_epochs * len(args.train_loader)
    accs = [float(a) for a in validate.results]
    return dict(code=f'rded, {workers} workers', seed=seed, steps=steps, train_seconds=train.seconds, steps_per_s=steps / train.seconds,
                train_cpu_seconds=train.cpu, steps_per_cpu_s=steps / train.cpu,
                val_seconds=validate.seconds, wall_seconds=time.perf_counter() - t0, best=max(accs, default=0.0), accs=accs,
                batch_size=args.re_batch_size, workers=args.workers, lr=args.adamw_lr, T=args.temperature, factor=args.factor)

def run_ours(teacher, xtr, ytr, val, epochs: int, seed: int) -> dict:
    "One run of `uvlp.softlabel.train_soft` (as `rded_unit` calls it, ConvNet-3 batch-norm student): steps/s, best top-1"
    import uvlp.softlabel as sl
    from uvlp.networks import get_network
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed); student = get_network('convnet', 10, 32, 'batch', 'cpu')
    timed, orig, c0 = Timed(sl.val_top1), sl.val_top1, time.process_time()
    sl.val_top1 = timed
    try: rec = sl.train_soft(student, teacher, xtr, ytr, val, epochs=epochs, ipc=10, n_classes=10, seed=seed, device='cpu', progress=False, factor=1)
    finally: sl.val_top1 = orig
    train_s, train_cpu = rec['seconds'] - timed.seconds, time.process_time() - c0 - timed.cpu
    return dict(code='ours', seed=seed, steps=rec['steps'], train_seconds=train_s, steps_per_s=rec['steps'] / train_s,
                train_cpu_seconds=train_cpu, steps_per_cpu_s=rec['steps'] / train_cpu,
                val_seconds=timed.seconds, wall_seconds=rec['seconds'], best=rec['best'], accs=rec['acc'],
                batch_size=rec['batch_size'], lr=rec['lr'], T=rec['T'], factor=rec['factor'], quirk_double_bn=rec['quirk_double_bn'])

def summary(runs: list) -> dict:
    "Per code: mean and population std of steps/s and best top-1 over seeds, and our speed-up over it (ratio of mean steps/s)"
    out = {}
    for code in dict.fromkeys(x['code'] for x in runs):
        r = [x for x in runs if x['code'] == code]
        out[code] = {k: dict(mean=statistics.fmean(x[k] for x in r), std=statistics.pstdev(x[k] for x in r)) for k in ('steps_per_s', 'steps_per_cpu_s', 'best')}
    for v in out.values():
        v['ours_speedup'] = out['ours']['steps_per_s']['mean'] / v['steps_per_s']['mean']
        v['ours_cpu_speedup'] = out['ours']['steps_per_cpu_s']['mean'] / v['steps_per_cpu_s']['mean']
    return out

def code_state() -> dict:
    "The commit, the uncommitted changes to the library and its notebooks, and the digest of the soft-label module run"
    import hashlib, uvlp.softlabel
    dirty = uncommitted('uvlp', 'nbs')
    return dict(commit=head_commit(), uncommitted=dirty,
                softlabel_sha256=hashlib.sha256(Path(uvlp.softlabel.__file__).read_bytes()).hexdigest()[:12],
                softlabel_changed='uvlp/softlabel.py' in dirty)

def machine() -> str:
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, torch {torch.__version__} threads {torch.get_num_threads()}"

def table(runs: list) -> str:
    rows = ['| code | seed | steps | train s | steps/s | main-process CPU s | val s | wall s | top-1 at evaluated epochs | best top-1 |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|']
    rows += [f"| {r['code']} | {r['seed']} | {r['steps']} | {r['train_seconds']:.1f} | {r['steps_per_s']:.3f} | {r['train_cpu_seconds']:.1f} | {r['val_seconds']:.1f} | "
             f"{r['wall_seconds']:.1f} | {', '.join(f'{a:.2f}' for a in r['accs'])} | {r['best']:.2f} |" for r in runs]
    return '\n'.join(rows)

def report(res: dict) -> str:
    s, c = res['summary'], res['code']
    head = (f"# RDED's evaluation code against `uvlp.softlabel.train_soft`\n\n"
            f"Measured {res['date']} on {res['machine']}; load average before/after {res['load_before']} / {res['load_after']}.\n"
            f"Code: uvlp commit {c['commit']}" + (f" with uncommitted changes to {', '.join(c['uncommitted'])}" if c['uncommitted'] else ' (clean)') +
            f"; uvlp/softlabel.py sha256 {c['softlabel_sha256']} ({'changed' if c['softlabel_changed'] else 'as committed'}); RDED {res['rded_commit'][:7]} (LINs-lab/RDED).\n\nCommand: `{res['command']}`\n\n")
    setting = (f"Setting (SHORTENED, not the protocol's 300/500 epochs): {res['epochs']} epochs, evaluated at {res['eval_epochs']}; "
               f"distilled set {res['n_train']} images (digits, tiny-stack UVLP, IPC 10); val {res['n_val']} digits ({res['val_per_class']} per class); "
               f"teacher ConvNet-3 batch norm, val top-1 {res['teacher_top1']:.2f} %; student ConvNet-3 batch norm; batch 50, factor 1, CutMix, T 20, "
               f"AdamW 1e-3 / wd 0.01, half cosine.\n\n")
    summ = ['| code | steps/s (wall) | ours ÷ it | steps per main-process CPU s | ours ÷ it | best top-1 (%) |', '|---|---:|---:|---:|---:|---:|']
    summ += [f"| {k} | {v['steps_per_s']['mean']:.3f} ± {v['steps_per_s']['std']:.3f} | {v['ours_speedup']:.2f}× | "
             f"{v['steps_per_cpu_s']['mean']:.3f} ± {v['steps_per_cpu_s']['std']:.3f} | {v['ours_cpu_speedup']:.2f}× | "
             f"{v['best']['mean']:.2f} ± {v['best']['std']:.2f} |" for k, v in s.items()]
    summ = f"Mean ± population std over seeds {res['seeds']}:\n\n" + '\n'.join(summ) + '\n\nPer run:\n\n'
    return head + setting + summ + table(res['runs']) + '\n' + (f"\n{res['note']}\n" if res.get('note') else '')

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--work', type=Path, default=ROOT/'runs/rded_speed', help='scratch folder: data, distilled set, teacher, RDED folders, logs')
    p.add_argument('--rded-git', type=Path, default=Path('/work/.mirror/LINs-lab+RDED/repo'), help="RDED's git directory (bare mirror)")
    p.add_argument('--rded-src', type=Path, default=Path('/tmp/rded-src'), help="where RDED's code is extracted and imported from")
    p.add_argument('--epochs', type=int, default=100, help='training epochs E of every run (shortened; the protocol is 300 or 500)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--ipc', type=int, default=10, help='images per class of the distilled set (RDED: 1, 10 or 50)')
    p.add_argument('--teacher-epochs', type=int, default=30)
    p.add_argument('--rded-workers', type=int, nargs='+', default=None, help="RDED's data-loader worker counts, each run (default: argument.py's, 4 at IPC 10)")
    p.add_argument('--out', type=Path, default=RESULTS/'rded_speed', help='writes OUT.json and OUT.md')
    p.add_argument('--note', default='', help='a line appended to the .md')
    return p.parse_args(argv)

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv); a.work = a.work.resolve(); a.out = a.out.resolve()
    from uvlp.config import get_dataset
    from uvlp.evaluate import load_split
    from uvlp.softlabel import load_val_images, rded_eval_epochs
    from uvlp.teacher import load_teacher
    state, commit = code_state(), extract_rded(a.rded_git, a.rded_src)
    if commit != RDED_COMMIT: print(f"note: RDED's mirror is at {commit}, not the {RDED_COMMIT[:7]} this file describes")
    run = distill(a.work, a.ipc); info = get_dataset('digits')
    tdir = teacher_folder(a.work, run/'data', a.teacher_epochs)
    teacher, trec = load_teacher(tdir, info, 'cpu')
    vf = val_files(run/'data')
    xtr, ytr = load_split(run/'distilled', info, 'train', 0.)
    val = (load_val_images([f for fs in vf for f in fs], 32), torch.tensor([c for c, fs in enumerate(vf) for _ in fs]))
    rcwd = a.work/'rded_cwd'; rcwd.mkdir(parents=True, exist_ok=True)
    syn, rval = rded_folder(class_files(run/'distilled'), rcwd/'syn'), rded_folder(vf, rcwd/'val')
    write_rded_teacher(teacher, rcwd); cpu_only()
    warnings.filterwarnings('ignore', message=".*'pin_memory' argument is set as true but no accelerator")
    here = Path.cwd(); args, vm = import_rded(a.rded_src, rcwd, a.epochs)
    args.syn_data_path, args.val_dir, args.val_ipc = str(syn), str(rval), len(vf[0])
    workers = a.rded_workers or [args.workers]
    print(f"RDED {commit[:7]}: batch {args.re_batch_size}, lr {args.adamw_lr}, T {args.temperature}, factor {args.factor}, workers {workers}; "
          f"ours: {len(xtr)} images, val {len(val[1])}; teacher top-1 {trec['val_top1']:.2f} %", flush=True)
    load_before, t0, runs = os.getloadavg(), time.time(), []
    for s in a.seeds:   # interleaved, so that a change of load on the shared machine hits both codes alike
        runs += [run_rded(vm, args, s, w, a.work/f'rded_seed{s}_workers{w}.log') for w in workers]
        runs.append(run_ours(teacher, xtr, ytr, val, a.epochs, s))
        for r in runs[-1 - len(workers):]: print(f"{r['code']} seed {s}: {r['steps']} steps, {r['steps_per_s']:.3f} steps/s, best top-1 {r['best']:.2f} % {r['accs']}", flush=True)
    os.chdir(here)
    res = dict(date=datetime.datetime.now().astimezone().isoformat(timespec='seconds'), machine=machine(), code=state, rded_commit=commit,
               command=' '.join(['OMP_NUM_THREADS=' + os.environ.get('OMP_NUM_THREADS', ''), '.venv/bin/python', 'benchmarks/rded_speed.py', shlex.join(argv)]).strip(),
               epochs=a.epochs, eval_epochs=rded_eval_epochs(a.epochs), seeds=a.seeds, n_train=len(xtr), n_val=len(val[1]), val_per_class=len(vf[0]),
               teacher_top1=trec['val_top1'], teacher_sha256=trec['weights_sha256'], load_before=[round(x, 2) for x in load_before],
               load_after=[round(x, 2) for x in os.getloadavg()], seconds=time.time() - t0, runs=runs, note=a.note)
    res['summary'] = summary(runs)
    write_json(a.out.with_suffix('.json'), res)
    a.out.with_suffix('.md').write_text(report(res))
    print(report(res))

if __name__ == '__main__': main()
