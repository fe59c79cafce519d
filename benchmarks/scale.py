"""The pipeline at C = 10, 100 and 1000 classes (issue 20): seconds per stage, peak memory, and what ImageNet-1K would cost.

Data: a synthetic ImageFolder of C classes written once per C in the work folder (`<work>/data-<C>`): 12 training
and 2 validation PNGs per class at 32 px. Class c has its own seeded look — a background colour, a shape (disc, square,
triangle, cross, stripes or rings) of its own colour, size and place, and a faint 4×4 noise texture — and each image
jitters it (shift, ±scale, brightness, pixel noise); `train/metadata.jsonl` holds one description per image
("a red disc on a teal background, image 3"), written with `uvlp.data.write_descriptions`.

Run: the whole pipeline through its command line, `python -m uvlp.pipeline --dataset folder --data-root <data>
--ipc 1 --global-alpha --steps 4 --eval-nets convnet --eval-repeats 1 --eval-epochs 1 --device cpu --out-dir
<work>/run-<C>`, on the shipped tiny stack (tiny CLIP, tiny VAE/UNet), one thread (OMP/MKL/torch), under `nice`,
in a subprocess of its own. Stage seconds: the run's manifest (`invocations[-1]['seconds']`); "start-up" is the wall
time outside the stages (imports, checks, listing, model loading, the merged eval table). Peak memory: the child's own
high-water mark, VmHWM of /proc/<pid>/status polled every 0.1 s (the child's address space only: not this
parent's, unlike ru_maxrss which keeps the maximum of the process that forked it — it is recorded beside it as a
cross-check); per stage, the largest VmRSS sampled (every 0.1 s) between the stage's 'started' and 'done' log
lines. Each C is recorded in `benchmarks/results/scale.json` as it finishes (with the commit, the command, the
date and the load); a recorded C is not rerun (`--redo` forces it). An unrecorded run folder is removed first, so
every measured run is one uninterrupted invocation.

Then: least-squares lines of each stage's seconds and of peak RSS against C (slope per class, intercept), the
issue's two targets (peak RSS at 1000 ≤ 1.2 × at 100; seconds per class at 1000 within 20 % of at 100), and an
ImageNet-1K estimate from the measured bytes per image of the features files and the full-size shapes; it is
written to `benchmarks/results/scale.md`.

    OMP_NUM_THREADS=1 nice python benchmarks/scale.py --classes 10 100     # then (C = 1000: ~4 min of CPU per run)
    nohup env OMP_NUM_THREADS=1 nice python benchmarks/scale.py --classes 10 100 1000 > /tmp/scale.log 2>&1 &
    python benchmarks/scale.py --report                                    # tables from the recorded runs only

Also recorded (each once): the memory of `uvlp.evaluate.top1` alone at each C (`--top1-worker`), and one
ImageNet-size class's JVL-C prototypes on the CPU (n = 1300, D = 768, latents 4×64×64; `--proto-worker`).

Measured here (2026-12-08, code 05a0d9e, clean tree, CPU, 1 thread, quiet machine: load 0.6–1.1; 3 runs per C, medians):
  C = 10 / 100 / 1000: stages 2.8 / 19.0 / 157.8 s wall, 2.8 / 18.8 / 154.5 s CPU; peak RSS 1100 / 1392 / 1490 MB.
  Peak RSS 1000 vs 100: 1.07 — PASS (session 6, before the validation split was read once and `top1` tested in batches
  of 256 instead of min(500, N_val), it was 1.31). Seconds per class, 1000 vs 100: nothing grows — stages 0.83× wall,
  0.82× CPU; each stage 0.80–0.99× (evaluation 0.80×, synthesis 0.81×: the fixed costs of a stage spread over more
  classes, so the ±20 % band is left on the low side only).
"""
import argparse, datetime, json, math, os, shutil, subprocess, sys, threading, time
from pathlib import Path
from common import RESULTS, ROOT, STAGE_MARK, code_version, last_stage_seconds, manifest, proc_cpu, proc_kb, reset_peak, write_json

OUT_JSON, OUT_MD = RESULTS/'scale.json', RESULTS/'scale.md'
STAGES = ('features', 'global_alpha', 'prototypes', 'synthesis', 'evaluation')
N_TRAIN, N_VAL, SIDE = 12, 2, 32
MB = 2**20

def _top1_batch() -> int:
    "`uvlp.evaluate.top1`'s default test batch (read from its signature: the code measured, not a copy)"
    import inspect
    from uvlp.evaluate import top1
    return inspect.signature(top1).parameters['batch'].default

TOP1_BATCH = _top1_batch()

# ---------------------------------------------------------------- data
COLOURS = dict(red=(220, 40, 40), orange=(240, 140, 30), yellow=(235, 220, 50), green=(50, 170, 60), teal=(30, 150, 150),
               blue=(40, 80, 220), purple=(140, 60, 190), pink=(240, 120, 180), brown=(130, 80, 40), grey=(128, 128, 128),
               black=(20, 20, 20), white=(240, 240, 240))
SHAPES = ('disc', 'square', 'triangle', 'cross', 'stripes', 'rings')

def class_look(c:int, seed:int=0) -> dict:
    "Class c's look: background and shape colours (named, jittered), shape, centre, radius, a 4×4 texture; seeded by (seed, c)"
    import numpy as np
    r = np.random.default_rng([seed, c])
    names = list(COLOURS)
    bg, fg = r.choice(len(names), 2, replace=False)
    jit = lambda k: np.clip(np.array(COLOURS[names[k]]) + r.integers(-25, 26, 3), 0, 255)
    return dict(bg=names[bg], fg=names[fg], bg_rgb=jit(bg), fg_rgb=jit(fg), shape=SHAPES[r.integers(len(SHAPES))],
                cx=r.uniform(10, 22), cy=r.uniform(10, 22), rad=r.uniform(5, 10), texture=r.normal(0, 18, (4, 4, 3)))

def draw(look:dict, rng) -> 'np.ndarray':
    "One 32 × 32 RGB uint8 image of a class look, jittered by `rng`"
    import numpy as np
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(float)
    cx, cy = look['cx'] + rng.uniform(-2, 2), look['cy'] + rng.uniform(-2, 2)
    rad = look['rad'] * rng.uniform(0.85, 1.15)
    dx, dy = x - cx, y - cy
    d = np.hypot(dx, dy)
    mask = dict(disc=d < rad, square=(abs(dx) < rad * 0.8) & (abs(dy) < rad * 0.8),
                triangle=(dy < rad * 0.7) & (dy > -rad) & (abs(dx) < (dy + rad) * 0.6),
                cross=((abs(dx) < rad * 0.3) | (abs(dy) < rad * 0.3)) & (d < rad * 1.2),
                stripes=(np.sin((x + y) * np.pi / max(rad / 2, 1.5)) > 0),
                rings=(np.sin(d * np.pi / max(rad / 3, 1.2)) > 0) & (d < rad * 1.5))[look['shape']]
    img = np.where(mask[..., None], look['fg_rgb'], look['bg_rgb']).astype(float)
    img += np.kron(look['texture'], np.ones((SIDE // 4, SIDE // 4, 1)))
    img = img * rng.uniform(0.85, 1.15) + rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)

def write_dataset(root:Path, n_classes:int, seed:int=0) -> Path:
    "The synthetic ImageFolder of `n_classes` classes at `root` (written once: `root/.complete` marks it finished)"
    import numpy as np
    from PIL import Image
    from uvlp.data import write_descriptions
    if (root/'.complete').exists(): return root
    shutil.rmtree(root, ignore_errors=True)
    names, texts = [], []
    for c in range(n_classes):
        look, cid = class_look(c, seed), f'c{c:04d}'
        rng = np.random.default_rng([seed, c, 1])
        for split, n in (('train', N_TRAIN), ('val', N_VAL)):
            (root/split/cid).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(draw(look, rng)).save(root/split/cid/f'{i:02d}.png')
                if split == 'train':
                    names.append(f'{cid}/{i:02d}.png')
                    texts.append(f"a {look['fg']} {look['shape']} on a {look['bg']} background, pattern {c}, image {i}")
    write_descriptions(root/'train'/'metadata.jsonl', names, texts)
    (root/'.complete').write_text(f'{n_classes} classes, seed {seed}\n')
    return root

# ---------------------------------------------------------------- one run
def pipeline_cmd(data:Path, run:Path, steps:int) -> list:
    return [sys.executable, '-m', 'uvlp.pipeline', '--dataset', 'folder', '--data-root', str(data), '--ipc', '1', '--global-alpha',
            '--steps', str(steps), '--eval-nets', 'convnet', '--eval-repeats', '1', '--eval-epochs', '1', '--device', 'cpu',
            '--out-dir', str(run)]

def measure(cmd:list, log:Path, threads:int, niceness:int) -> dict:
    "Run `cmd` in a child; its wall time, its own peak RSS (VmHWM), per-stage RSS peaks and windows from its log lines"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               TOKENIZERS_PARALLELISM='false', HF_HUB_OFFLINE='1', PYTHONUNBUFFERED='1')
    t0 = time.time()
    p = subprocess.Popen(['nice', '-n', str(niceness), *cmd], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples, marks, hwm, done = [], [], [0], threading.Event()
    def poll():
        while not done.is_set():
            rss, h, cpu = proc_kb(p.pid, 'VmRSS'), proc_kb(p.pid, 'VmHWM'), proc_cpu(p.pid)
            if rss is not None and cpu is not None: samples.append((time.time(), rss, cpu)); hwm[0] = max(hwm[0], h or 0)
            time.sleep(0.1)
    th = threading.Thread(target=poll, daemon=True); th.start()
    with open(log, 'w') as fh:
        for line in p.stdout:
            fh.write(line); fh.flush()
            if m := STAGE_MARK.search(line): marks.append((time.time(), m[1], m[2]))
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    t1 = time.time(); done.set(); th.join()
    start = {s: t for t, s, k in marks if k == 'started'}
    end = {s: t for t, s, k in marks if k == 'done'}
    stage_rss = {s: max((r for t, r, _ in samples if start[s] <= t <= end.get(s, t1)), default=0) / 1024 for s in start}
    cpu_at = lambda T: max((c for t, _, c in samples if t <= T), default=0.0)
    stage_cpu = {s: round(cpu_at(end.get(s, t1)) - cpu_at(start[s]), 2) for s in start}
    first = min(start.values(), default=t1)
    return dict(rc=p.returncode, wall_seconds=round(t1 - t0, 2), peak_rss_mb=round(hwm[0] / 1024, 1),
                ru_maxrss_mb=round(ru.ru_maxrss / 1024, 1), stage_rss_mb={s: round(v, 1) for s, v in stage_rss.items()},
                stage_cpu_seconds=stage_cpu, cpu_seconds=round(ru.ru_utime + ru.ru_stime, 2),
                before_first_stage_rss_mb=round(max((r for t, r, _ in samples if t <= first), default=0) / 1024, 1),
                startup_seconds_before_first_stage=round(first - t0, 2), samples=len(samples))

def features_bytes(run:Path) -> dict:
    "Bytes per training image of the run's features files, split into tensors (by name) and the rest (header: paths, texts)"
    from safetensors import safe_open
    files = sorted((run/'features').glob('*.safetensors'))
    total, n, tensors, shapes = 0, 0, {}, {}
    for f in files:
        total += f.stat().st_size
        with safe_open(str(f), 'pt') as fh:
            for k in fh.keys():
                t = fh.get_slice(k); shape = t.get_shape()
                tensors[k] = tensors.get(k, 0) + int(__import__('math').prod(shape)) * {'F32': 4, 'F16': 2, 'BF16': 2}.get(t.get_dtype(), 4)
                shapes[k] = [None, *shape[1:]]; dtype = t.get_dtype()
            n += shape[0]
    per = {k: v / n for k, v in tensors.items()}
    return dict(files=len(files), images=n, bytes=total, per_image=total / n, tensor_per_image=per, shapes=shapes, dtype=dtype,
                header_per_image=(total - sum(tensors.values())) / n)

def patched_cmd(cmd:list, top1_batch:int) -> list:
    "`cmd` (a `python -m uvlp.pipeline ...` line) with `uvlp.evaluate.top1`'s default test batch set to `top1_batch` in the child (a what-if; no file is changed)"
    code = (f"import sys, uvlp.evaluate as e; f = e.top1.__wrapped__; d = list(f.__defaults__); d[1] = {top1_batch}; f.__defaults__ = tuple(d); "
            "from uvlp.pipeline import main; main(sys.argv[1:])")
    return [cmd[0], '-c', code, *cmd[3:]]

def run_one(n_classes:int, work:Path, steps:int, threads:int, niceness:int, top1_batch:int|None=None) -> dict:
    data = write_dataset(work/f'data-{n_classes}', n_classes)
    run = work/(f'run-{n_classes}' + (f'-top1-{top1_batch}' if top1_batch else ''))
    shutil.rmtree(run, ignore_errors=True)   # one uninterrupted invocation per measured C
    cmd = pipeline_cmd(data, run, steps)
    if top1_batch: cmd = patched_cmd(cmd, top1_batch)
    load0 = os.getloadavg()
    log = run.with_suffix('.log')
    r = measure(cmd, log, threads, niceness)
    if r['rc'] != 0: raise SystemExit(f"C = {n_classes}: the pipeline exited {r['rc']}; log {log}:\n{log.read_text()[-3000:]}")
    m = manifest(run)
    secs = last_stage_seconds(run)
    return dict(classes=n_classes, images=dict(train=n_classes * N_TRAIN, val=n_classes * N_VAL), seconds=secs,
                startup_seconds=round(r['wall_seconds'] - sum(secs.values()), 2), **r, features=features_bytes(run),
                command=' '.join(['OMP_NUM_THREADS=%d' % threads, 'nice', '-n', str(niceness), 'python', *cmd[1:]]),
                invocations=len(m['invocations']), load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()],
                date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), commit=code_version())

# ---------------------------------------------------------------- analysis
def median_record(ms:list) -> dict:
    "The median of every number over the measurements `ms` of one C (nested dicts too); other fields from the last"
    import statistics
    def merge(vals):
        v0 = vals[-1]
        if isinstance(v0, dict): return {k: merge([v[k] for v in vals if isinstance(v, dict) and k in v]) for k in v0}
        if isinstance(v0, (int, float)) and not isinstance(v0, bool): return statistics.median(vals)
        return v0
    ms = [m | dict(stages_seconds=sum(m['seconds'].values()),
                   stages_cpu_seconds=sum(m.get('stage_cpu_seconds', {}).values())) for m in ms]
    return merge(ms) | dict(n=len(ms))

def spread(ms:list, get, fmt:str='.0f') -> str:
    xs = [get(m) for m in ms]
    return f'{min(xs):{fmt}}–{max(xs):{fmt}}' if len(xs) > 1 else ''

def fit(xs, ys):
    "Least-squares line y = a + b x: (slope b, intercept a)"
    n = len(xs); mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float('nan')
    return b, my - b * mx

def scaling_tables(runs:dict, tops:dict={}, whatif:dict={}) -> tuple:
    "Markdown lines of the per-C table, per-class table, fits and targets; and the verdicts"
    Cs = sorted(int(c) for c in runs)
    R = {c: median_record(runs[str(c)]) for c in Cs}
    cols = [*STAGES, 'stages', 'start-up', 'wall']
    val = lambda r, s: (r.get('stages_seconds', sum(r['seconds'].values())) if s == 'stages' else r['startup_seconds'] if s == 'start-up'
                        else r['wall_seconds'] if s == 'wall' else r['seconds'].get(s, float('nan')))
    cpu = lambda r, s: (r.get('stages_cpu_seconds', sum(r['stage_cpu_seconds'].values())) if s == 'stages' else r['cpu_seconds'] if s == 'process'
                        else r['stage_cpu_seconds'].get(s, float('nan')))
    L = ['## Wall seconds and peak memory per C (CPU, 1 thread, tiny stack; median of the n runs, range in brackets)', '',
         '| C | n | train images | ' + ' | '.join(f'{s} s' for s in cols) + ' | peak RSS MB | ru_maxrss MB |',
         '|' + '---:|' * (len(cols) + 5)]
    for c in Cs:
        r, ms = R[c], runs[str(c)]
        L.append(f"| {c} | {r['n']} | {r['images']['train']} | " + ' | '.join(f'{val(r, s):.2f}' for s in cols[:-3])
                 + f" | {val(r, 'stages'):.2f} ({spread(ms, lambda m: val(m, 'stages'), '.1f')}) | {val(r, 'start-up'):.2f} | {val(r, 'wall'):.2f}"
                 + f" | {r['peak_rss_mb']:.0f} ({spread(ms, lambda m: m['peak_rss_mb'])}) | {r['ru_maxrss_mb']:.0f} |")
    L += ['', '## CPU seconds (user + system of the child, from /proc/<pid>/stat at the stage marks; less sensitive to the shared machine than wall seconds)', '',
          '| C | ' + ' | '.join(STAGES) + ' | stages | process | per class: stages | stages wall ÷ CPU |', '|' + '---:|' * (len(STAGES) + 5)]
    for c in Cs:
        r = R[c]
        if 'stage_cpu_seconds' not in r: continue
        L.append(f'| {c} | ' + ' | '.join(f'{cpu(r, s):.2f}' for s in [*STAGES, 'stages', 'process']) + f" | {cpu(r, 'stages') / c:.4f} | {val(r, 'stages') / cpu(r, 'stages'):.2f} |")
    L += ['', '## Peak RSS per stage (MB, largest 0.1 s sample in the stage window)', '',
          '| C | before first stage | ' + ' | '.join(STAGES) + ' |', '|' + '---:|' * (len(STAGES) + 2)]
    for c in Cs:
        r = R[c]; L.append(f"| {c} | {r['before_first_stage_rss_mb']:.0f} | " + ' | '.join(f"{r['stage_rss_mb'].get(s, float('nan')):.0f}" for s in STAGES) + ' |')
    L += ['', '## Seconds per class', '', '| C | ' + ' | '.join(cols) + ' |', '|' + '---:|' * (len(cols) + 1)]
    for c in Cs:
        L.append(f'| {c} | ' + ' | '.join(f'{val(R[c], s) / c:.4f}' for s in cols) + ' |')
    verdicts = {}
    if len(Cs) >= 2:
        L += ['', f'## Least-squares lines against C (C = {", ".join(map(str, Cs))})', '',
              '| quantity | slope per class | intercept | fitted at max C | measured at max C |', '|---|---:|---:|---:|---:|']
        for s in cols:
            b, a = fit(Cs, [val(R[c], s) for c in Cs])
            L.append(f'| {s} seconds | {b:.4f} s | {a:.2f} s | {a + b * Cs[-1]:.1f} | {val(R[Cs[-1]], s):.1f} |')
        for s in STAGES:
            ys = [R[c]['stage_rss_mb'].get(s, float('nan')) for c in Cs]
            b, a = fit(Cs, ys); L.append(f'| {s} peak RSS | {b * 1024:.1f} kB | {a:.0f} MB | {a + b * Cs[-1]:.0f} MB | {ys[-1]:.0f} MB |')
        b, a = fit(Cs, [R[c]['peak_rss_mb'] for c in Cs])
        L.append(f"| process peak RSS | {b * 1024:.1f} kB | {a:.0f} MB | {a + b * Cs[-1]:.0f} MB | {R[Cs[-1]]['peak_rss_mb']:.0f} MB |")
    L += ['', '## Targets (issue 20)', '']
    if 100 in R and 1000 in R:
        ratio = R[1000]['peak_rss_mb'] / R[100]['peak_rss_mb']
        verdicts['peak_rss'] = ok = ratio <= 1.2
        L.append(f"- peak RSS at 1000 classes ≤ 1.2 × at 100: {R[1000]['peak_rss_mb']:.0f} MB / {R[100]['peak_rss_mb']:.0f} MB = "
                 f"{ratio:.3f} → **{'PASS' if ok else 'FAIL'}**")
        for s in [*STAGES, 'stages', 'wall']:
            q = (val(R[1000], s) / 1000) / (val(R[100], s) / 100)
            ok = abs(q - 1) <= 0.2
            verdicts[f'per_class_{s}'] = ok
            L.append(f"- seconds per class, {s}: {val(R[100], s) / 100:.4f} (C = 100) → {val(R[1000], s) / 1000:.4f} (C = 1000), "
                     f"ratio {q:.3f} → **{'PASS' if ok else 'FAIL'}** (flat within 20 %)")
        if 'stage_cpu_seconds' in R[100] and 'stage_cpu_seconds' in R[1000]:
            for s in [*STAGES, 'stages']:
                q = (cpu(R[1000], s) / 1000) / (cpu(R[100], s) / 100)
                verdicts[f'per_class_cpu_{s}'] = ok = abs(q - 1) <= 0.2
                L.append(f"- CPU seconds per class, {s}: {cpu(R[100], s) / 100:.4f} (C = 100) → {cpu(R[1000], s) / 1000:.4f} (C = 1000), "
                         f"ratio {q:.3f} → **{'PASS' if ok else 'FAIL'}**")
        L += ['', '### Where the peak grows from C = 100 to C = 1000 (medians; "own" = the stage\'s peak over the previous stage\'s, its working memory)', '',
              '| stage | peak at 100 MB | peak at 1000 MB | Δ MB | own at 100 MB | own at 1000 MB | Δ own MB |', '|---|---:|---:|---:|---:|---:|---:|']
        prev = {c: R[c]['before_first_stage_rss_mb'] for c in (100, 1000)}
        for st in STAGES:
            pk = {c: R[c]['stage_rss_mb'].get(st, float('nan')) for c in (100, 1000)}
            own = {c: pk[c] - prev[c] for c in (100, 1000)}
            L.append(f"| {st} | {pk[100]:.0f} | {pk[1000]:.0f} | {pk[1000] - pk[100]:+.0f} | {own[100]:+.0f} | {own[1000]:+.0f} | {own[1000] - own[100]:+.0f} |")
            prev = pk
        if '100' in tops and '1000' in tops:
            t1, t2 = tops['100'], tops['1000']
            L += ['', f"`uvlp.evaluate.top1` tests in batches of {TOP1_BATCH} (its default when measured): the validation split "
                  f"({N_VAL} images per class) goes through ConvNet-3 in batches of min({TOP1_BATCH}, {N_VAL}·C). Measured alone "
                  f"(fresh ConvNet-3 at 32 px, this script's --top1-worker): C = 100, {t1['n_val']} images in batches of {t1['batch']}: "
                  f"+{t1['growth_mb']:.0f} MB; C = 1000, {t2['n_val']} images in batches of {t2['batch']}: +{t2['growth_mb']:.0f} MB "
                  f"(Δ {t2['growth_mb'] - t1['growth_mb']:+.0f} MB). It stops growing once {N_VAL}·C ≥ {TOP1_BATCH}."]
        for b, w in sorted(whatif.items(), key=lambda kv: int(kv[0])):
            if '100' in w and '1000' in w:
                p1, p2 = w['100'], w['1000']
                st = lambda m: sum(m['seconds'].values())
                L += ['', f"What-if (one run per C, not the shipped code: top1's default batch patched to {b} in the child, `--top1-batch {b}`): "
                      f"peak RSS {p1['peak_rss_mb']:.0f} MB at C = 100, {p2['peak_rss_mb']:.0f} MB at C = 1000, ratio {p2['peak_rss_mb'] / p1['peak_rss_mb']:.3f} "
                      f"({'would PASS' if p2['peak_rss_mb'] <= 1.2 * p1['peak_rss_mb'] else 'would still FAIL'}); evaluation peak "
                      f"{p1['stage_rss_mb'].get('evaluation', 0):.0f} → {p2['stage_rss_mb'].get('evaluation', 0):.0f} MB; stages {st(p1):.1f} s → {st(p2):.1f} s wall "
                      f"({st(p1) / 100:.4f} → {st(p2) / 1000:.4f} s per class, ratio {(st(p2) / 1000) / (st(p1) / 100):.3f}; load "
                      f"{p1['load_before'][0]:.1f} / {p2['load_before'][0]:.1f})."]
    else:
        L.append('- not measured: the targets need C = 100 and C = 1000 (' + ', '.join(f'C = {c}' for c in Cs) + ' recorded)')
    return L, verdicts

# ---------------------------------------------------------------- ImageNet-1K
IMAGENET_TRAIN, IMAGENET_VAL, IMAGENET_C = 1_281_167, 50_000, 1000
FULL = dict(image_emb=768, text_emb=768, latents=4 * 64 * 64)

def proto_worker(n:int, ipc:int) -> dict:
    "One class's JVL-C prototypes at ImageNet size on the CPU (1 thread): n rows of D = 768 (`uvlp.fusion.planted`), latents [n, 4, 64, 64], 999 negative τ's"
    import torch
    from uvlp.fusion import planted, tau_negatives
    from uvlp.jvlc import JVLCConfig, jvlc_class
    torch.set_num_threads(1)
    p = planted(n_classes=2, n_clusters=8, n=n, dim=768, seed=0, device='cpu')
    img, txt = p.img[p.labels == 0], p.txt[p.labels == 0]
    taus = torch.nn.functional.normalize(torch.randn(1000, 768, generator=torch.Generator().manual_seed(0)), dim=1); taus[0] = p.taus[0]
    lat = torch.randn(len(img), 4, 64, 64)
    reset_peak()
    before, t = proc_kb(os.getpid(), 'VmRSS'), time.perf_counter()
    r = jvlc_class(img, txt, lat, taus[0], tau_negatives(taus, 0), [f't{i}' for i in range(len(img))], 'c0', JVLCConfig(ipc=ipc), 'cpu')
    return dict(rows=len(img), ipc=ipc, seconds=round(time.perf_counter() - t, 2), growth_mb=round((proc_kb(os.getpid(), 'VmHWM') - before) / 1024, 1),
                prototypes=len(r.prototypes), date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), commit=code_version())

def top1_worker(n_val:int, n_classes:int) -> dict:
    "Peak memory growth (VmHWM) of `uvlp.evaluate.top1` (its default batch) on a fresh ConvNet-3 at 32 px over `n_val` images"
    import torch
    from uvlp.evaluate import top1
    from uvlp.networks import get_network
    torch.set_num_threads(1)
    net = get_network('convnet', n_classes, 32, device='cpu')
    x, y = torch.randint(0, 256, (n_val, 3, 32, 32), dtype=torch.uint8), torch.arange(n_val) % n_classes
    reset_peak()
    before, t = proc_kb(os.getpid(), 'VmRSS'), time.perf_counter()
    top1(net, x, y)
    return dict(n_val=n_val, classes=n_classes, batch=min(TOP1_BATCH, n_val), seconds=round(time.perf_counter() - t, 2),
                growth_mb=round((proc_kb(os.getpid(), 'VmHWM') - before) / 1024, 1))

TEACHER_COST = 1 / 3   # A: a forward pass of the teacher ≈ a third of a training step (forward + backward ≈ 3 forwards)

# Rates for the GPU-hours. No GPU was ever lent to this project: benchmarks/gpu_check.py has only run on the CPU at toy
# sizes (results/gpu_check_cpu_smoke.txt). Every GPU rate below is an ASSUMPTION (typical published fp16/bf16 figures
# for an A100/H100-class card), to be replaced by gpu_check.py's output.
ASSUMED_GPU = dict(clip_img=1500.0,     # CLIP ViT-L/14 image embeddings per second (224 px, fp16, batch 64)
                   clip_txt=3000.0,     # CLIP ViT-L/14 text embeddings per second
                   vae=150.0,           # SD 1.5 VAE encodes per second at 512 px (fp16, batch 16)
                   unet=40.0,           # SD 1.5 UNet image-steps per second at 64×64 latents, batch 16, guidance (2 UNet rows) included
                   train_steps=30.0,    # SGD steps per second, ResNet-18 at 224 px, batch 64, bf16 + channels_last, on-GPU augmentation
                   infer=10000.0)       # evaluation images per second, ResNet-18 at 224 px, bf16
# Measured on the CPU (benchmarks/results/fullsize.txt: random-weight ViT-L/14 and SD 1.5, float32, 1 thread, 2 classes × 3 images at 512 px):
CPU_FULLSIZE = dict(features_s=71.4, features_images=6, synthesis_s=128.4, synthesis_images=2, synthesis_unet_steps=3)   # 4 steps × strength 0.75

def imagenet_tables(runs:dict, protos:dict) -> list:
    "Disk, memory per process and GPU-hours of an ImageNet-1K run, from the measured features bytes and the recorded or assumed rates"
    from uvlp.evaluate import epochs_for
    Cs = sorted(int(c) for c in runs)
    if not Cs: return []
    fb = runs[str(Cs[-1])][-1]['features']
    hdr, per_full = fb['header_per_image'], sum(FULL.values())
    L = ['## ImageNet-1K: what a full-size run costs', '',
         '**Every number in this section is EXTRAPOLATED** (from shapes, from a tiny-scale measurement, or from a rate); '
         'each row says which inputs are measured (M, and where) and which are assumed (A).', '',
         f"Measured at tiny scale (C = {Cs[-1]}, {fb['images']} images, {fb['files']} files): {fb['per_image']:.0f} bytes per image = "
         + ', '.join(f"{k} {v:.0f} B {fb['shapes'][k][1:]}" for k, v in fb['tensor_per_image'].items())
         + f" ({fb['dtype']}) + {hdr:.0f} B of header (the safetensors JSON record: relative paths and descriptions of ~70 characters) — "
         'the tensor bytes are exactly the shapes × 4, so the full-size bytes follow from the full-size shapes: CLIP ViT-L/14 768-d image and '
         'text embeddings, SD 1.5 VAE latents 4×64×64 at 512 px.', '',
         '### Disk for the features (1,281,167 training images)', '',
         '| features dtype | tensor B/image | header B/image | B/image | disk |', '|---|---:|---:|---:|---:|']
    for name, b in (('float16 (`feature_dtype`: the default of full-size runs)', 2), ('float32 (`--feature-dtype float32`; the tiny stack\'s default)', 4)):
        t = per_full * b
        for h, what in ((hdr, 'M, tiny run'), (2 * hdr, 'A: 2× for longer captions')):
            L.append(f"| {name} | {t:,} | {h:.0f} ({what}) | {t + h:,.0f} | {(t + h) * IMAGENET_TRAIN / 1e9:.1f} GB = {(t + h) * IMAGENET_TRAIN / 2**30:.1f} GiB |")
    L.append(f"| float32, latents only (the prototypes stage reads them) | {per_full * 4 - 2 * 768 * 4:,} | – | – | {(per_full * 4 - 2 * 768 * 4) * IMAGENET_TRAIN / 1e9:.1f} GB |")
    cls = 1300 * (per_full * 4 + hdr)
    val_dev = IMAGENET_VAL * 3 * 224 * 224
    L += ['', '### Memory per process (the largest stage)', '',
          '| item | size | basis |', '|---|---:|---|',
          '| synthesis: SD 1.5 + CLIP ViT-L/14 loaded, float32, CPU | 7.75 GiB RSS | M: fullsize.txt (the largest stage there) |',
          '| features: CLIP ViT-L/14 + SD 1.5 VAE, float32, CPU | 5.02 GiB RSS | M: fullsize.txt |',
          f"| prototypes: one class's features held at once (1300 images, float32) | {cls / MB:.0f} MB | shapes × 1300 (largest ImageNet class) |"]
    for k, r in sorted(protos.items(), key=lambda kv: int(kv[0])):
        L.append(f"| prototypes: JVL-C working memory of that class at IPC {r['ipc']} (n = {r['rows']}, D = 768, latents 4×64×64) | +{r['growth_mb']:.0f} MB | M: this script, CPU, 1 thread |")
    L += [f"| global α (streamed): class means [7, C, 768] + cosines [7, C, C] at C = 1000, float32 | {(7 * 1000 * 768 + 7 * 1000 * 1000) * 4 / MB:.0f} MB | shapes (fisher_stream.py measured +104 MB at C = 1000, D = 512) |",
          f"| evaluation: validation split, read once per process (RunContext.val) and moved whole to the device, uint8 [50000, 3, 224, 224] | {val_dev / 2**30:.1f} GiB | shapes (uvlp.pipeline.val_split → evaluate_tensors `.to(device)`) |",
          f"| evaluation: training set on the device at IPC 10 / 50 | {10 * 1000 * 3 * 224 * 224 / 2**30:.1f} / {50 * 1000 * 3 * 224 * 224 / 2**30:.1f} GiB | shapes |",
          f"| evaluation: top1's batch of {TOP1_BATCH} through ConvNet-6 (width 128) at 224 px: one conv output [{TOP1_BATCH}, 128, 224, 224] | {TOP1_BATCH * 128 * 224 * 224 * 4 / 2**30:.1f} GiB fp32, {TOP1_BATCH * 128 * 224 * 224 * 2 / 2**30:.1f} GiB bf16 (×~2 at the norm) | shapes |",
          '| synthesis on a GPU: SD 1.5 fp16 weights + batch 16 | ~4–8 GiB | A (not measured: no GPU) |', '']
    rate = ASSUMED_GPU; cpu = CPU_FULLSIZE
    feat_img_h = IMAGENET_TRAIN / rate['clip_img'] / 3600; feat_vae_h = IMAGENET_TRAIN / rate['vae'] / 3600
    txt_h = IMAGENET_TRAIN / rate['clip_txt'] / 3600
    cpu_feat_h = IMAGENET_TRAIN * cpu['features_s'] / cpu['features_images'] / 3600
    unet_per_img = 50 * 0.75
    syn_s = unet_per_img / rate['unet']
    cpu_syn_img = cpu['synthesis_s'] / cpu['synthesis_images'] / cpu['synthesis_unet_steps'] * unet_per_img
    tiny = median_record(runs[str(Cs[-1])])
    L += ['### Compute per stage (one GPU; IPC 10 and IPC 50)', '',
          'Assumed GPU rates (A): ' + ', '.join(f'{k} {v:g}/s' for k, v in rate.items()) + ' (clip/vae/infer: images, unet: image-steps with guidance, '
          'train_steps: ResNet-18 SGD steps of 64 at 224 px). CPU rates (M, fullsize.txt, float32, 1 thread, random weights, stage times incl. model loading): '
          f"features {cpu['features_s'] / cpu['features_images']:.1f} s/image, SDEdit {cpu['synthesis_s'] / cpu['synthesis_images']:.0f} s/image at 4 steps × 0.75.", '',
          '| stage | IPC 10 | IPC 50 | basis |', '|---|---:|---:|---|',
          f"| features: image embeddings + VAE latents (IPC-independent) | {feat_img_h + feat_vae_h:.1f} GPU-h | {feat_img_h + feat_vae_h:.1f} GPU-h | A rates × 1,281,167 (CPU, M rate: {cpu_feat_h:,.0f} CPU-thread-h) |",
          f"| features: text embeddings of the descriptions | {txt_h:.2f} GPU-h | {txt_h:.2f} GPU-h | A rate |",
          f"| global α (streamed; 18 passes reading the embeddings, ~{1300 * 768 * 2 * 4 / MB:.0f} MB per class, {IMAGENET_TRAIN * 768 * 2 * 4 / 1e9:.1f} GB per pass) | ~{18 * IMAGENET_TRAIN * 768 * 2 * 4 / 1e9 / 1.0 / 3600:.2f} h | same | A: 1 GB/s reads (I/O bound); tiny M: {tiny['seconds'].get('global_alpha', float('nan')):.1f} s at C = {Cs[-1]} |"]
    for_ipc = {int(k): r for k, r in protos.items()}
    cell = lambda ipc: f"{for_ipc[ipc]['seconds'] * 1000 / 3600:.1f} CPU-thread-h" if ipc in for_ipc else 'not measured'
    L += [f"| prototypes (JVL-C per class × 1000 classes; runs on the run's device) | {cell(10)} | {cell(50)} | M: one class at n = 1300, D = 768 on the CPU (1 thread) × 1000; GPU not measured |",
          f"| synthesis: SDEdit, 50 steps × strength 0.75, guidance | {10_000 * syn_s / 3600:.1f} GPU-h | {50_000 * syn_s / 3600:.1f} GPU-h | A rate × 10,000 / 50,000 images (CPU, from the M rate: {10_000 * cpu_syn_img / 3600:,.0f} / {50_000 * cpu_syn_img / 3600:,.0f} CPU-thread-h) |"]
    ev = {}
    for ipc in (10, 50):
        E = epochs_for(ipc, IMAGENET_C, 224); steps = E * math.ceil(ipc * IMAGENET_C / 64)
        ev[ipc] = (E, steps, steps / rate['train_steps'] / 3600 + 100 * IMAGENET_VAL / rate['infer'] / 3600)
    L += [f"| evaluation: ResNet-18, one training run (protocol: {ev[10][0]} / {ev[50][0]} epochs = {ev[10][1]:,} / {ev[50][1]:,} steps of 64, 100 tests on 50,000 val) | {ev[10][2]:.1f} GPU-h | {ev[50][2]:.1f} GPU-h | A rates; uvlp.evaluate.epochs_for; the default 3 networks × 3 repeats ≈ 9× this if each costs about ResNet-18 |"]
    L += [rded_row(rate), '']
    return L

def rded_row(rate:dict) -> str:
    "The cost-table row of one soft-label (RDED) training run at IPC 10 and 50: VLCP's E, RDED's batch rule; the student's step at the assumed rate scaled by its batch, plus the teacher's forward pass"
    from uvlp.softlabel import RDED_EPOCHS, rded_batch_size, rded_eval_epochs
    E, cells = RDED_EPOCHS['vlcp'], {}
    for ipc in (10, 50):
        b = rded_batch_size(ipc, IMAGENET_C); steps = E * math.ceil(ipc * IMAGENET_C / b)
        cells[ipc] = (b, steps, steps * b / 64 / rate['train_steps'] * (1 + TEACHER_COST) / 3600 + len(rded_eval_epochs(E)) * IMAGENET_VAL / rate['infer'] / 3600)
    return (f"| evaluation (RDED soft labels, `--eval-protocol rded`): ResNet-18 student and teacher, one training run ({E} epochs in batches of "
            f"{cells[10][0]} / {cells[50][0]} = {cells[10][1]:,} / {cells[50][1]:,} steps, {len(rded_eval_epochs(E))} tests on 50,000 val) | "
            f"{cells[10][2]:.1f} GPU-h | {cells[50][2]:.1f} GPU-h | A rates: a student step scaled by its batch from the step of 64; "
            f"the teacher's forward pass +{TEACHER_COST:.0%} of a step; uvlp.softlabel.rded_batch_size, RDED_EPOCHS |")

def report(runs:dict, protos:dict, tops:dict, whatif:dict={}) -> str:
    L, verdicts = scaling_tables(runs, tops, whatif)
    cmds = sorted({m['command'] for ms in runs.values() for m in ms})
    head = ['# Scaling of the pipeline with the number of classes (benchmarks/scale.py)', '',
            'Recorded runs: ' + '; '.join(f"C = {c}: " + ', '.join(f"{m['date'][11:19]} (load {m['load_before'][0]:.1f}→{m['load_after'][0]:.1f})" for m in runs[c])
                                          for c in sorted(runs, key=int)) + f" (UTC, {min(m['date'][:10] for ms in runs.values() for m in ms)}; load: 1-min load average of the 2-core machine before → after)", '',
            'Code measured: ' + '; '.join(codes := sorted({m['commit'] for ms in runs.values() for m in ms}))
            + (' (the working tree changed during the runs)' if len(codes) > 1 or '+' in codes[0] else ' (every run, a clean working tree)'), '',
            'Command (per C, data root and out dir differ): `' + (cmds[0] if cmds else '') + '`', '']
    return '\n'.join(head + L + [''] + imagenet_tables(runs, protos)) + '\n', verdicts

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--classes', type=int, nargs='+', default=[10, 100, 1000])
    ap.add_argument('--work', default='/tmp/uvlp-scale', help='work folder for the datasets and runs (default /tmp/uvlp-scale)')
    ap.add_argument('--steps', type=int, default=4)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--nice', type=int, default=10)
    ap.add_argument('--repeats', type=int, default=3, help='measurements per C (a C with this many recorded is not rerun)')
    ap.add_argument('--redo', action='store_true', help='drop the recorded measurements of the given C first')
    ap.add_argument('--report', action='store_true', help='only print and write the tables of the recorded runs')
    ap.add_argument('--data-only', action='store_true', help='only write the datasets')
    ap.add_argument('--proto-ipc', type=int, nargs='*', default=[10, 50], help='IPCs of the ImageNet-size prototypes measurement (each once, recorded)')
    ap.add_argument('--top1-batch', type=int, default=None, help="what-if: also run each C once with uvlp.evaluate.top1's default batch patched to this (recorded apart)")
    ap.add_argument('--proto-worker', type=int, nargs=2, metavar=('ROWS', 'IPC'), help=argparse.SUPPRESS)
    ap.add_argument('--top1-worker', type=int, nargs=2, metavar=('NVAL', 'C'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.proto_worker: print(json.dumps(proto_worker(*a.proto_worker))); return
    if a.top1_worker: print(json.dumps(top1_worker(*a.top1_worker))); return
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    rec = json.loads(OUT_JSON.read_text()) if OUT_JSON.exists() else dict(runs={})
    if not a.report:
        for c in a.classes:
            if a.data_only: write_dataset(work/f'data-{c}', c); print(f'C = {c}: data written', flush=True); continue
            if a.redo: rec['runs'].pop(str(c), None)
            ms = rec['runs'].setdefault(str(c), [])
            if len(ms) >= a.repeats: print(f'C = {c}: {len(ms)} measurements recorded, not rerun', flush=True); continue
            while len(ms) < a.repeats:
                t = time.time(); print(f'C = {c}: measurement {len(ms) + 1} of {a.repeats}: writing data (once), running the pipeline ...', flush=True)
                ms.append(r := run_one(c, work, a.steps, a.threads, a.nice))
                OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
                write_json(OUT_JSON, rec)
                print(f"C = {c}: {r['wall_seconds']:.1f} s wall ({time.time() - t:.1f} s with data), peak RSS {r['peak_rss_mb']:.0f} MB, "
                      f"stages {r['seconds']}, CPU {r['stage_cpu_seconds']}", flush=True)
    if a.data_only: return
    protos = rec.setdefault('prototypes_fullsize', {})
    for ipc in ([] if a.report else a.proto_ipc):
        if str(ipc) in protos: continue
        print(f'prototypes of one ImageNet-size class (n = 1300, D = 768) at IPC {ipc} on the CPU ...', flush=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads))
        out = subprocess.run(['nice', '-n', str(a.nice), sys.executable, __file__, '--proto-worker', '1300', str(ipc)], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
        protos[str(ipc)] = r = json.loads(out.splitlines()[-1]); print(f'  {r}', flush=True)
        write_json(OUT_JSON, rec)
    whatif = rec.setdefault('top1_batch_runs', {})
    if a.top1_batch and not a.report:
        w = whatif.setdefault(str(a.top1_batch), {})
        for c in a.classes:
            if str(c) in w: continue
            print(f'C = {c}: what-if run, top1 batch {a.top1_batch} ...', flush=True)
            w[str(c)] = r = run_one(c, work, a.steps, a.threads, a.nice, a.top1_batch)
            print(f"  peak RSS {r['peak_rss_mb']:.0f} MB, stages {r['seconds']}", flush=True)
            write_json(OUT_JSON, rec)
    tops = rec.setdefault('top1_memory', {})
    for c in ([] if a.report else a.classes):
        if str(c) in tops: continue
        env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads))
        out = subprocess.run(['nice', '-n', str(a.nice), sys.executable, __file__, '--top1-worker', str(c * N_VAL), str(c)], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
        tops[str(c)] = r = json.loads(out.splitlines()[-1]); print(f'top1 memory at C = {c}: {r}', flush=True)
        write_json(OUT_JSON, rec)
    text, verdicts = report(rec['runs'], protos, tops, whatif)
    rec['verdicts'] = verdicts
    write_json(OUT_JSON, rec)
    OUT_MD.write_text(text)
    print(text)

if __name__ == '__main__': main()
