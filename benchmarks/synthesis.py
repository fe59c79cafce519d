"""Synthesis throughput: images/s with prototypes batched through one denoising loop vs one prototype per call.

Runs `uvlp.synthesis.sdedit` on the shipped tiny stack (`uvlp.tiny.load_tiny`) from the digits'
class-mean latents with grounded-caption prompts, at the paper's settings (strength 0.75, guidance
10.5, 50 steps → 37 denoising steps; negative prompt "cartoon, anime, painting"). Per setting it
times `--repeats` passes over `--n` prototypes (after one warm-up pass) and prints the best pass,
plus the largest pixel difference between the batched and the one-by-one images (they should agree
to float rounding: each prototype has its own seeded generator). Not a test: it prints figures.

Usage: python benchmarks/synthesis.py [--device cpu] [--threads 1] [--n 20] [--batches 1 5 10 20] [--steps 50] [--repeats 3]
(on a CPU shared with other jobs, prefix OMP_WAIT_POLICY=PASSIVE or pass --threads 1: spinning OpenMP threads
that wait for each other slow a run down by an order of magnitude)

Measured on the idle 2-core development machine (torch's default 2 threads, --repeats 3): 1.92 / 5.94 / 8.25 /
10.93 images/s at batch 1 / 5 / 10 / 20, i.e. 3.1x / 4.3x / 5.7x batch 1; batched and one-by-one images agree to 1.3e-5.
With another job on one core (OMP_WAIT_POLICY=PASSIVE --threads 2 --repeats 1): 3.3x at batch 10, 3.7x at 20.
"""
import argparse, time
import torch
from uvlp.config import default_device
from uvlp.synthesis import SynthConfig, sdedit
from uvlp.tiny import class_mean_latents, digits_with_captions, load_tiny

def run(tiny, lat, prompts, keys, cfg, bs):
    "All prototypes through `sdedit`, `bs` per call; returns the images."
    return torch.cat([sdedit(tiny.pipe, lat[i:i + bs], prompts[i:i + bs], keys[i:i + bs], cfg, tiny.encode_prompt)
                      for i in range(0, len(lat), bs)])

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default=None)
    p.add_argument('--n', type=int, default=20, help='prototypes')
    p.add_argument('--batches', type=int, nargs='+', default=[1, 5, 10, 20])
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch\'s)')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = default_device(a.device)
    tiny = load_tiny(dev)
    _, y, caps = digits_with_captions('val')
    lat = class_mean_latents(tiny).repeat(a.n // 10 + 1, 1, 1, 1)[:a.n]
    prompts = [caps[int(torch.where(y == i % 10)[0][i // 10])] for i in range(a.n)]
    keys = [(i % 10, i // 10) for i in range(a.n)]
    cfg = SynthConfig(steps=a.steps)
    print(f'{a.n} prototypes, tiny stack ({sum(q.numel() for q in tiny.unet.parameters()) / 1e6:.1f} M-param UNet, 32 px), '
          f'{dev}, {torch.get_num_threads()} threads, strength {cfg.strength}, {cfg.steps} steps, guidance {cfg.guidance_scale}', flush=True)
    ref, base = None, None
    for bs in a.batches:
        run(tiny, lat[:bs], prompts[:bs], keys[:bs], cfg, bs)  # warm-up
        times = []
        for _ in range(a.repeats):
            t = time.perf_counter(); imgs = run(tiny, lat, prompts, keys, cfg, bs); times.append(time.perf_counter() - t)
        ips = a.n / min(times)
        ref = imgs if ref is None else ref
        base = ips if base is None else base
        print(f'batch {bs:3d}: {ips:7.2f} images/s  ({ips / base:5.2f}× batch {a.batches[0]})  '
              f'max |Δ| vs batch {a.batches[0]}: {(imgs - ref).abs().max():.1e}', flush=True)

if __name__ == '__main__': main()
