"""Prototype discovery (JVL-C per class — class α, LOF, spherical k-means, cluster α's, prototypes; `uvlp.jvlc.iter_discover`): seconds and peak memory after feature extraction.

Features are CLIP-like random vectors, not uniform noise (LOF and k-means behave differently on
structure): class c is `uvlp.fusion.planted(n_classes=1, n_clusters=20, n=N, dim=768,
seed=derive_seed(seed, 'bench', c))` — an image and a text cone, a class direction, 20 sub-modes,
independent image/text noise (mean image–text cosine ≈ 0.3) — with its planted text prototype τ_c.
The negatives of every class are the τ's of one separate planted draw of C classes (their values
only move the dynamic weights; the cost is the same). Latents are standard normal
`[N, 4, 64, 64]` for the ImageWoof shape; for the ImageNet shape `--imagenet-latent 4 8 8` by
default (SD's 4×64×64 would make the *generator* write 85 MB per class; discovery only gathers
the top_k chosen latents, so their size barely matters to it).

Shapes: imagewoof = 10 classes × 900 × 768 at IPC 10, 20 and 50 (all classes generated first,
then one timed `discover`); imagenet = 1000 classes × 1300 × 768 at IPC 10, streamed one class
at a time through `iter_discover` (features generated inside the stream; the time spent
generating is measured and subtracted).

Time: wall seconds (and process CPU seconds) of discovery alone, after one untimed warm-up class.
Memory: peak RSS from `resource.getrusage(RUSAGE_SELF).ru_maxrss` (the kernel's high-water mark of
resident memory; it sees torch's and scikit-learn's allocations, which tracemalloc does not),
printed as the growth over the RSS before the measured run, at checkpoints (e.g. 100 and 1000
classes): a stream whose memory does not grow with the classes shows the same figure at each.
The current RSS (/proc/self/statm) is printed beside it, relative to the same baseline.
Load: the 1-minute load average is printed before and after each measurement; on a shared
machine re-run when it is above the core count. Threads: one by default; with two, torch's small
ops wait on each other on a busy 2-core machine and discovery ran ~10x slower (measured).

Measured here (2 cores shared with other jobs, load 4-10, 1 thread):
  imagewoof IPC 10 / 20 / 50: 2.0 / 2.0 / 2.5 s wall, 1.3 / 1.3 / 1.6 s CPU (load 4.4)
  imagenet IPC 10, 1000 classes: 480 s wall, 228 s CPU (load 7-10); peak RSS +51 MB at 100 classes,
  +74 MB at 500, 750 and 1000 classes.

Usage: python benchmarks/prototypes.py [--shape imagewoof imagenet] [--ipcs 10 20 50] [--classes 1000]
                                       [--checkpoints 100 1000] [--threads 1] [--device cpu]
"""
import argparse, os, time
import torch
from common import load_avg as load, peak_rss_mb as rss_mb, rss_now_mb
from threadpoolctl import threadpool_limits
from uvlp.fusion import planted
from uvlp.jvlc import JVLCConfig, discover, iter_discover
from uvlp.utils import derive_seed

def make_class(c, n, latent_shape, seed=0):
    "Features of synthetic class `c`: a dict for `jvlc_class` and its planted tau."
    p = planted(n_classes=1, n_clusters=20, n=n, dim=768, seed=derive_seed(seed, 'bench', c), device='cpu')
    lat = torch.randn(n, *latent_shape, generator=torch.Generator().manual_seed(derive_seed(seed, 'bench-latent', c)))
    return dict(image_emb=p.img, text_emb=p.txt, latents=lat, texts=[f'class {c} row {i}' for i in range(n)]), p.taus[0]

def taus_for(n_classes, seed=0): return planted(n_classes=n_classes, n=1, dim=768, seed=seed, device='cpu').taus

def imagewoof(ipcs, device, seed=0):
    "10 classes × 900 × 768, latents 4×64×64: one timed `discover` per IPC."
    data = [make_class(c, 900, (4, 64, 64), seed)[0] for c in range(10)]
    taus = taus_for(10, seed)
    discover(data[:1], taus[:1], cfg=JVLCConfig(ipc=10), device=device, progress=False)       # warm-up
    for ipc in ipcs:
        before, l0 = rss_mb(), load()
        t, cpu = time.perf_counter(), time.process_time()
        res = discover(data, taus, cfg=JVLCConfig(ipc=ipc, seed=seed), device=device, progress=False)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(f"imagewoof  IPC {ipc:2d}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {sum(map(len, res.values()))} prototypes, "
              f"peak RSS +{rss_mb() - before:.0f} MB over {before:.0f} MB (features held: 10×900 rows)  [{l0} → {load()}]")

def imagenet(n_classes, ipc, checkpoints, latent_shape, device, seed=0):
    "n_classes × 1300 × 768 streamed through `iter_discover`; RSS growth printed at the checkpoints."
    taus, gen = taus_for(n_classes, seed), torch.zeros(2)      # seconds spent generating: wall, CPU
    def stream():
        for c in range(n_classes):
            t = torch.tensor([time.perf_counter(), time.process_time()])
            f = make_class(c, 1300, latent_shape, seed)[0]
            gen.add_(torch.tensor([time.perf_counter(), time.process_time()]) - t)
            yield f
    discover([make_class(0, 1300, latent_shape, seed)[0]], taus[:1], cfg=JVLCConfig(ipc=ipc), device=device, progress=False)   # warm-up
    before, l0, t, cpu, n_protos = rss_mb(), load(), time.perf_counter(), time.process_time(), 0
    print(f"imagenet   IPC {ipc}, {n_classes} classes × 1300 × 768, latents {'×'.join(map(str, latent_shape))}, RSS before {before:.0f} MB  [{l0}]")
    for c, r in enumerate(iter_discover(stream(), taus, JVLCConfig(ipc=ipc, seed=seed), device, progress=False), 1):
        n_protos += len(r)
        if c in checkpoints or c == n_classes:
            wall, cpu_s = time.perf_counter() - t - float(gen[0]), time.process_time() - cpu - float(gen[1])
            print(f"  {c:5d} classes: {wall:7.1f} s wall ({wall / c:.3f} s/class), {cpu_s:7.1f} s CPU, {n_protos} prototypes, "
                  f"peak RSS +{rss_mb() - before:.0f} MB (now {rss_now_mb() - before:+.0f} MB)  [{load()}; generating the features took {float(gen[0]):.0f} s more]")

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--shape', nargs='+', default=['imagewoof', 'imagenet'], choices=['imagewoof', 'imagenet'])
    p.add_argument('--ipcs', type=int, nargs='+', default=[10, 20, 50], help='IPCs of the ImageWoof shape')
    p.add_argument('--classes', type=int, default=1000, help='classes of the ImageNet shape')
    p.add_argument('--checkpoints', type=int, nargs='+', default=[100, 500])
    p.add_argument('--imagenet-latent', type=int, nargs='+', default=[4, 8, 8])
    p.add_argument('--threads', type=int, default=1, help='torch, BLAS and OpenMP threads')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} thread(s), device {a.device}, {os.cpu_count()} CPUs")
    with threadpool_limits(a.threads):
        if 'imagewoof' in a.shape: imagewoof(a.ipcs, a.device)
        if 'imagenet' in a.shape: imagenet(a.classes, 10, set(a.checkpoints), tuple(a.imagenet_latent), a.device)

if __name__ == '__main__': main()
