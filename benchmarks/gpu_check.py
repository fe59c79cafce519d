"""One GPU check of the full-size path (random weights, nothing downloaded): CLIP ViT-L/14 image features, SD 1.5 VAE
encoding, SDEdit synthesis at batch 1 vs 16 with the default 50-step PNDM schedule and a 25-step DPM-Solver++ one,
and evaluation SGD steps/s of each network with and without bf16 autocast + channels_last; peak GPU memory of each.

    python benchmarks/gpu_check.py                      # on a GPU, fp16 weights, SDPA attention (< 8 min on an H100/H200)
    python benchmarks/gpu_check.py --dtype bf16
    OMP_NUM_THREADS=1 python benchmarks/gpu_check.py --cpu --quick   # CPU smoke run: toy sizes, to see it does not crash

`--quick` swaps in toy sizes (SD15_SMALL, open_clip ViT-B-32, small batches, 4-step schedules, 32 px evaluation).
"""
import argparse, shutil, tempfile, time
from pathlib import Path
import psutil, torch
from diffusers import DPMSolverMultistepScheduler
from uvlp.evaluate import protocol_for, train_step
from uvlp.features import encode_images, encode_latents, load_clip
from uvlp.fullsize import SD15_SMALL, write_sd15
from uvlp.networks import NETWORKS, get_network
from uvlp.synthesis import SynthConfig, load_sd, make_scheduler, sdedit

GB = 2**30


class Section:
    "Times a section and prints its rate and peak memory (GPU: allocated by PyTorch; CPU: process RSS)"
    def __init__(self, dev): self.dev, self.max = dev, 0.0
    def sync(self):
        if self.dev.type == 'cuda': torch.cuda.synchronize()
    def peak(self):
        return torch.cuda.max_memory_allocated() / GB if self.dev.type == 'cuda' else psutil.Process().memory_info().rss / GB
    def rate(self, name, fn, n_items, reps=3, unit='images/s'):
        "Run `fn` once to warm up, then `reps` times; print items per second"
        if self.dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
        fn(); self.sync(); t = time.perf_counter()
        for _ in range(reps): fn()
        self.sync(); dt = (time.perf_counter() - t) / reps
        self.max = max(self.max, self.peak())
        mem = 'peak GPU' if self.dev.type == 'cuda' else 'RSS'
        print(f"{name:70s} {n_items / dt:10.2f} {unit:9s} ({dt:7.3f} s/call)  {mem} {self.peak():6.2f} GiB", flush=True)
        return n_items / dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cpu', action='store_true', help='run on the CPU (float32)')
    ap.add_argument('--quick', action='store_true', help='toy sizes (for a CPU smoke run)')
    ap.add_argument('--dtype', default='fp16', choices=('fp16', 'bf16'), help='weights dtype on the GPU (default fp16)')
    ap.add_argument('--work', default=None, help='folder for the SD pipeline (default: temporary, removed after)')
    a = ap.parse_args()
    dev = torch.device('cpu' if a.cpu else 'cuda')
    if dev.type == 'cuda' and not torch.cuda.is_available(): ap.error('no CUDA device: pass --cpu')
    dtype = torch.float32 if dev.type == 'cpu' else {'fp16': torch.float16, 'bf16': torch.bfloat16}[a.dtype]
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True; torch.backends.cudnn.benchmark = True
    q = a.quick
    work = Path(a.work or tempfile.mkdtemp(prefix='uvlp-gpu-check-'))
    S, t00 = Section(dev), time.time()
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name() if dev.type == 'cuda' else 'CPU'}, {dtype}, "
          f"{'toy sizes' if q else 'full size'}, {torch.get_num_threads()} CPU threads", flush=True)

    t = time.time(); sd = write_sd15(work/'sd15', **(SD15_SMALL if q else {}))
    pipe = load_sd(sd, dev, dtype, sdpa=True)
    clip = load_clip('ViT-B-32' if q else 'ViT-L-14', None, dev); clip.model.to(dtype)
    print(f"built and loaded the random SD 1.5 folder and CLIP in {time.time() - t:.1f} s", flush=True)

    with torch.inference_mode():
        b = 2 if q else 64
        x = torch.randn(b, 3, 224, 224, device=dev)
        S.rate(f"CLIP {'ViT-B-32' if q else 'ViT-L/14'} image features, batch {b}", lambda: encode_images(clip.model, x), b)
        b, side = (2, pipe.vae.config.sample_size) if q else (16, 512)
        x = torch.rand(b, 3, side, side, device=dev) * 2 - 1
        S.rate(f"VAE encode at {side} px, batch {b}", lambda: encode_latents(pipe.vae, x, list(range(b))), b)
    clip = None   # free its memory before the SD sections
    if dev.type == 'cuda': torch.cuda.empty_cache()

    h = pipe.unet.config.sample_size
    steps = dict(pndm=4 if q else 50, dpm=4 if q else 25)
    for name, sched in (('PNDM', make_scheduler(pipe.scheduler.config, 'pndm')),
                        ('DPM-Solver++', DPMSolverMultistepScheduler.from_config(pipe.scheduler.config, algorithm_type='dpmsolver++'))):
        pipe.scheduler = sched
        n = steps['pndm' if name == 'PNDM' else 'dpm']
        for b in ((1, 2) if q else (1, 16)):
            z = torch.randn(b, 4, h, h)
            cfg = SynthConfig(steps=n, synth_batch=b)
            S.rate(f"synthesis {name} {n} steps × strength 0.75, batch {b}",
                   lambda: sdedit(pipe, z, ['a photo of a dog'] * b, [(0, k) for k in range(b)], cfg), b, reps=1 if q else 2)
    pipe = None   # free its memory before the evaluation section
    if dev.type == 'cuda': torch.cuda.empty_cache()

    side = 32 if q else 224
    proto = protocol_for(10, 10, side, epochs=1)
    b = 8 if q else proto.batch
    x, y = torch.randint(0, 256, (b, 3, side, side), dtype=torch.uint8, device=dev), torch.arange(b, device=dev) % 10
    for name in NETWORKS:
        for fast in (False, True):
            net = get_network(name, 10, side, device=dev, channels_last=fast)
            opt = torch.optim.SGD(net.parameters(), proto.lr, momentum=proto.momentum, weight_decay=proto.weight_decay)
            g = torch.Generator(dev).manual_seed(0)
            S.rate(f"evaluation {name} at {side} px, batch {b}, {'bf16 autocast + channels_last' if fast else 'fp32'}",
                   lambda: train_step(net, opt, x, y, proto, g, amp=fast, channels_last=fast), 1, reps=2 if q else 20, unit='steps/s')
    print(f"largest {'peak GPU memory (allocated)' if dev.type == 'cuda' else 'RSS'}: {S.max:.2f} GiB; total {time.time() - t00:.1f} s")
    if a.work is None: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
