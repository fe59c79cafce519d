"""Clustering cost of one class, VLCP's rule against UVLP's, at the ImageWoof shape (900 rows, IPC 10).

VLCP (`uvlp.methods.vlcp_class`) clusters SD 1.5 VAE latents flattened to 4×64×64 = 16,384 numbers:
scikit-learn's LocalOutlierFactor (10 neighbours, contamination 0.1), then scikit-learn's KMeans
(K = IPC, n_init=10, its defaults otherwise: k-means++ seeding, up to 300 Lloyd iterations, tol 1e-4)
on the inliers. UVLP (`uvlp.jvlc.jvlc_class`) clusters 768-d fused CLIP vectors: the same LOF, then
`uvlp.cluster.spherical_kmeans` (n_init=10, 50 iterations, random seeding). D4M
(`uvlp.methods.d4m_class`, MiniBatchKMeans fed in chunks, no LOF) is timed beside them.

Data: standard normal rows (latents) and standard normal 768-d vectors (normalised inside
spherical k-means); random data has no clusters, so k-means runs close to its iteration caps — a
worst case for both. Descriptions are short sentences of three random words from a 15-word list. Times: wall seconds
(best and median) and process CPU seconds (median) of `--repeats` runs, after one untimed warm-up, with BLAS/OpenMP limited to `--threads` threads (threadpoolctl; default 1) and torch to
the same. The 1-minute load average is printed: on a shared machine re-run when it is above the
core count.

Measured here (2 cores shared with other jobs, load 6, OMP_NUM_THREADS=1, 1 thread; the output is in
benchmarks/results/methods_kmeans.txt): VLCP's KMeans on the 810 inliers of 16,384-d latents 4.3 s wall
(2.7 s CPU), its LOF 1.5 s (0.6 s CPU); UVLP's spherical k-means on 768-d 0.05 s (0.02 s CPU), its LOF
0.06 s (0.03 s CPU): about 100x less for the clustering step.

Usage: python benchmarks/methods_kmeans.py [--rows 900] [--ipc 10] [--repeats 3] [--threads 1]
"""
import argparse, statistics, time
import numpy as np
import torch
from common import load_avg
from threadpoolctl import threadpool_limits
from sklearn.cluster import KMeans
from uvlp.cluster import lof_inliers, spherical_kmeans
from uvlp.methods import d4m_class, vlcp_class

def timed(fn, repeats):
    "(best wall, median wall, median process CPU) seconds of `fn()` over `repeats` runs, after one warm-up run."
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time(); fn()
        wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    return min(wall), statistics.median(wall), statistics.median(cpu)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rows', type=int, default=900); p.add_argument('--ipc', type=int, default=10)
    p.add_argument('--repeats', type=int, default=3); p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    lat = torch.randn(a.rows, 4, 64, 64, generator=g)
    X = lat.flatten(1).numpy()
    F = torch.randn(a.rows, 768, generator=g)
    vocab = 'brown black white small large grass snow sofa ball lake tree car beach leash collar'.split()
    pick = np.random.default_rng(0).integers(len(vocab), size=(a.rows, 3))
    texts = [f"A photo of a {vocab[i]} dog near a {vocab[j]} and a {vocab[k]}." for i, j, k in pick]
    print(f"{a.rows} rows, IPC {a.ipc}, {a.threads} thread(s), {a.repeats} repeats; {load_avg()} before")
    with threadpool_limits(a.threads):
        keep = lof_inliers(X, 10, 0.1).numpy()
        rows = {
            'VLCP LOF on 16,384-d latents': lambda: lof_inliers(X, 10, 0.1),
            f'VLCP KMeans (n_init=10) on {keep.sum()} inliers, 16,384-d': lambda: KMeans(a.ipc, n_init=10, random_state=0).fit(X[keep]),
            'VLCP vlcp_class total (LOF + KMeans + text rule)': lambda: vlcp_class(lat, texts, 'dog', a.ipc),
            'D4M d4m_class total (MiniBatchKMeans, km_expand=10)': lambda: d4m_class(lat, 'dog', a.ipc),
            'UVLP LOF on 768-d fused vectors': lambda: lof_inliers(F, 10, 0.1),
            f'UVLP spherical_kmeans (n_init=10) on {keep.sum()} rows, 768-d': lambda: spherical_kmeans(F[torch.from_numpy(keep)], a.ipc, 10, device='cpu'),
        }
        for name, fn in rows.items():
            best, med, cpu = timed(fn, a.repeats)
            print(f"{name:62s} wall best {best:7.3f} s, median {med:7.3f} s; CPU median {cpu:7.3f} s")
    print(f"{load_avg()} after")

if __name__ == '__main__': main()
