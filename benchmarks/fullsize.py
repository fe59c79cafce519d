"""The paper's models at full size with random weights, end to end on the CPU: build a random SD 1.5 folder,
run `uvlp.pipeline.distill` with open_clip ViT-L-14 (random weights) on a 2-class × 3-image 512 px folder,
and print the seconds (from the run's manifest) and the peak resident memory of each stage.

    OMP_NUM_THREADS=1 python benchmarks/fullsize.py [--threads 1] [--work DIR] [--keep]

Peak memory is the process's resident set size (psutil), sampled every 50 ms: it counts PyTorch's
tensors and everything else, unlike tracemalloc.
"""
import argparse, logging, platform, shutil, tempfile, threading, time
from pathlib import Path
import psutil, torch
from common import GiB as GB, STAGE_MARK, last_stage_seconds
from uvlp.testing import write_demo_folder, write_sd15
from uvlp.pipeline import DistillConfig, distill


class Sampler(threading.Thread):
    "Records (time, RSS) of this process every `every` seconds"
    def __init__(self, every=0.05):
        super().__init__(daemon=True); self.every, self.samples, self.stop = every, [], threading.Event()
        self.proc = psutil.Process()
    def run(self):
        while not self.stop.is_set(): self.samples.append((time.time(), self.proc.memory_info().rss)); time.sleep(self.every)
    def peak(self, t0, t1): return max((r for t, r in self.samples if t0 <= t <= t1), default=0) / GB


class StageTimes(logging.Handler):
    "Wall-clock windows of the pipeline's stages, from its 'stage X: started' / 'done' log lines"
    def __init__(self): super().__init__(); self.start, self.end = {}, {}
    def emit(self, rec):
        m = STAGE_MARK.match(rec.getMessage())
        if m: (self.start if m[2] == 'started' else self.end)[m[1]] = rec.created


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    ap.add_argument('--work', default=None, help='work folder (default: a temporary one, removed after)')
    ap.add_argument('--keep', action='store_true', help='keep the work folder')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    work = Path(a.work or tempfile.mkdtemp(prefix='uvlp-fullsize-'))
    sampler, stages = Sampler(), StageTimes()
    logging.getLogger('uvlp.pipeline').addHandler(stages); logging.getLogger('uvlp.pipeline').setLevel(logging.INFO)
    sampler.start()
    print(f"torch {torch.__version__}, {a.threads} thread(s), {platform.processor() or platform.machine()}, "
          f"{psutil.virtual_memory().total / GB:.0f} GiB RAM; work folder {work}")

    t0 = time.time(); sd = write_sd15(work/'sd15', seed=0); t1 = time.time()
    size = sum(f.stat().st_size for f in sd.rglob('*') if f.is_file()) / GB
    print(f"{'build + save SD 1.5 (random)':32s} {t1 - t0:8.1f} s  peak RSS {sampler.peak(t0, t1):6.2f} GiB  ({size:.2f} GiB on disk)")
    write_demo_folder(work/'demo')
    cfg = DistillConfig(dataset='folder', data_root=str(work/'demo'), class_list=str(work/'demo'/'classes.txt'), clip_model='ViT-L-14',
                        clip_pretrained='', sd=str(sd),
                        ipc=1, steps=4, strength=0.75, eval_epochs=1, eval_nets=('convnet',), eval_repeats=1,
                        out_dir=str(work/'run'), device='cpu')
    t2 = time.time(); run = distill(cfg, progress=False); t3 = time.time()
    secs = last_stage_seconds(run.root)
    first = min(stages.start.values())
    print(f"{'distill: checks + run key':32s} {first - t2:8.1f} s  peak RSS {sampler.peak(t2, first):6.2f} GiB  (validate, weights digests)")
    for name, s in sorted(secs.items(), key=lambda kv: stages.start.get(kv[0], 0)):  # in the order they ran
        print(f"{'distill: ' + name:32s} {s:8.1f} s  peak RSS {sampler.peak(stages.start[name], stages.end.get(name, t3)):6.2f} GiB")
    print(f"{'distill: total':32s} {t3 - t2:8.1f} s  peak RSS {sampler.peak(t2, t3):6.2f} GiB")
    print(f"process peak RSS {sampler.peak(0, time.time()):.2f} GiB; "
          f"images: {sorted(str(p.relative_to(run.root)) for p in (run.root/'distilled').rglob('*.png'))}")
    sampler.stop.set()
    if not a.keep and a.work is None: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
