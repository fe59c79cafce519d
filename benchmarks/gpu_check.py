"""One GPU check of the full-size path (random weights, nothing downloaded): CLIP ViT-L/14 image features, SD 1.5 VAE
encoding, SDEdit synthesis at batch 1 vs 16 with the default 50-step PNDM schedule and a 25-step DPM-Solver++ one, the training
steps/s of each evaluation network under both protocols (hard-label Minimax `train_step`; soft-label RDED `soft_step`
with a random torchvision ResNet-18 teacher at RDED's batch for IPC 10 of 1000 classes, 224 px), with and without bf16
autocast + channels_last, and one fine-tuning step of the SD 1.5 UNet as `uvlp-finetune` takes it (VLCP's 4 × 32 images
at 512 px, here in bf16 mixed precision, gradient checkpointing, AdamW, EMA); peak GPU memory of each.

    python benchmarks/gpu_check.py --out benchmarks/results/gpu_check_h100.txt   # on a GPU, fp16 inference weights, SDPA attention
    python benchmarks/gpu_check.py --dtype bf16
    OMP_NUM_THREADS=1 python benchmarks/gpu_check.py --cpu --quick   # CPU smoke run: toy sizes, to see it does not crash

Expected time on an H100: about 3-5 minutes, under 8 (an estimate: not yet run on a GPU); most of it is building the random
SD 1.5 folder on the CPU, synthesis and the fine-tuning step. `--quick` swaps in toy sizes (SD15_SMALL, open_clip ViT-B-32,
small batches, 4-step schedules, 2 × 2 fine-tuning images in fp32, 32 px evaluation with 10 classes).
Notes: `soft_step` has no autocast switch, so its bf16 rows run the whole step (teacher, student, loss, AdamW) inside
`torch.autocast`, the teacher and the batch in channels_last. The fine-tuning step encodes random pixels and captions with
the frozen VAE and text encoder each micro-batch, as `uvlp-finetune` does, but reads no files (no data loading). TF32 and
cuDNN autotuning are on in every GPU section.
"""
import argparse, os, shutil, sys, tempfile, time
from pathlib import Path
import psutil, torch
from common import GiB as GB
from accelerate import Accelerator
from diffusers import DDPMScheduler, DPMSolverMultistepScheduler
from diffusers.training_utils import EMAModel
from uvlp.evaluate import protocol_for, train_step
from uvlp.features import encode_images, encode_latents, load_clip
from uvlp.finetune import FinetuneConfig, hf_tokenize, micro_step
from uvlp.testing import SD15_SMALL, write_sd15
from uvlp.networks import NETWORKS, get_network
from uvlp.softlabel import TEMPERATURE, rded_augment, rded_batch_size, rded_optimizer, soft_step
from uvlp.synthesis import SynthConfig, load_sd, make_scheduler, sdedit
from uvlp.teacher import build_architecture


class Section:
    "Times a section and prints its rate and peak memory (GPU: allocated by PyTorch; CPU: process RSS)"
    def __init__(self, dev): self.dev, self.max = dev, 0.0
    def sync(self):
        if self.dev.type == 'cuda': torch.cuda.synchronize()
    def peak(self):
        return torch.cuda.max_memory_allocated() / GB if self.dev.type == 'cuda' else psutil.Process().memory_info().rss / GB
    def rate(self, name, fn, n_items, reps=3, unit='images/s', images=None):
        "Run `fn` once to warm up, then `reps` times; print items per second (and `images` per call as images/s)"
        if self.dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
        fn(); self.sync(); t = time.perf_counter()
        for _ in range(reps): fn()
        self.sync(); dt = (time.perf_counter() - t) / reps
        self.max = max(self.max, self.peak())
        mem = 'peak GPU' if self.dev.type == 'cuda' else 'RSS'
        print(f"{name:88s} {n_items / dt:10.2f} {unit:9s} ({dt:7.3f} s/call)  {mem} {self.peak():6.2f} GiB"
              + (f"  = {images / dt:.2f} images/s" if images else ''), flush=True)
        return n_items / dt


class Tee:
    "A text stream writing to several (the console and the --out file)"
    def __init__(self, *streams): self.streams = streams
    def write(self, s):
        for f in self.streams: f.write(s); f.flush()
    def flush(self): pass


def free(dev):
    "Give the freed GPU memory back before the next section"
    if dev.type == 'cuda': torch.cuda.empty_cache()


def finetune(S, sd, dev, q):
    "Steps/s of `uvlp-finetune`'s optimizer step on the SD folder's UNet: `grad_accum` × `micro_step` (frozen VAE + text encoder, loss, backward; clipping and AdamW on the last), then the EMA update"
    pipe = load_sd(sd, 'cpu')
    cfg = FinetuneConfig(resolution=pipe.vae.config.sample_size if q else FinetuneConfig.resolution,
                         mixed_precision='no' if dev.type == 'cpu' else 'bf16', **(dict(batch_size=2, grad_accum=2) if q else {}))
    acc = Accelerator(gradient_accumulation_steps=cfg.grad_accum, mixed_precision=cfg.mixed_precision, cpu=dev.type == 'cpu')
    frozen = torch.bfloat16 if cfg.mixed_precision == 'bf16' else torch.float32   # as uvlp-finetune casts the frozen encoders
    te, vae = (m.requires_grad_(False).to(acc.device, frozen) for m in (pipe.text_encoder, pipe.vae))
    unet = pipe.unet; unet.enable_gradient_checkpointing(); unet.train().requires_grad_(True)
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg.lr, betas=cfg.adam_betas, weight_decay=cfg.weight_decay, eps=cfg.adam_eps)
    ema = EMAModel(unet.parameters(), decay=cfg.ema_decay, model_cls=type(unet), model_config=unet.config)
    model, opt = acc.prepare(unet, opt); ema.to(acc.device)
    batch = {'pixel_values': torch.rand(cfg.batch_size, 3, cfg.resolution, cfg.resolution, device=acc.device) * 2 - 1,
             'input_ids': hf_tokenize(pipe.tokenizer)(['a photo of a dog'] * cfg.batch_size).to(acc.device)}
    sched, gen, encode_text = DDPMScheduler.from_config(pipe.scheduler.config), torch.Generator(acc.device).manual_seed(0), lambda ids: te(ids)[0]
    def step():
        for _ in range(cfg.grad_accum): micro_step(acc, model, opt, batch, sched, cfg, gen, vae, encode_text)
        ema.step(model.parameters())
    n = cfg.grad_accum * cfg.batch_size
    S.rate(f"fine-tune {'toy' if q else 'SD 1.5'} UNet, {cfg.grad_accum} × {cfg.batch_size} images at {cfg.resolution} px, "
           f"{'bf16 mixed' if cfg.mixed_precision == 'bf16' else 'fp32'}, grad. ckpt, EMA", step, 1, reps=1 if q else 2, unit='steps/s', images=n)
    acc.free_memory(); free(dev)


def evaluation(S, dev, q):
    "SGD steps/s of each evaluation network under the hard-label (Minimax) and soft-label (RDED) protocols, fp32 and bf16 autocast + channels_last"
    side = 32 if q else 224
    images = lambda b: torch.randint(0, 256, (b, 3, side, side), dtype=torch.uint8, device=dev)
    proto = protocol_for(10, 10, side, epochs=1)
    xh = images(8 if q else proto.batch); yh = torch.arange(len(xh), device=dev) % 10
    def hard(net, fast, g):
        opt = torch.optim.SGD(net.parameters(), proto.lr, momentum=proto.momentum, weight_decay=proto.weight_decay)
        return lambda: train_step(net, opt, xh, yh, proto, g, amp=fast, channels_last=fast)
    k = 10 if q else 1000
    xs, factor = images(8 if q else rded_batch_size(10, k)), 1 if side <= 32 else 2   # factor as uvlp's RDED runs use it
    teacher = build_architecture('torchvision:resnet18', k).to(dev)
    def soft(net, fast, g):
        opt, fmt = rded_optimizer(net), torch.channels_last if fast else torch.contiguous_format
        teacher.to(memory_format=fmt)
        def step():
            x = rded_augment(xs, factor, generator=g).contiguous(memory_format=fmt)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=fast): return soft_step(net, teacher, opt, x, TEMPERATURE['cutmix'], g)
        return step
    for label, nclass, norm, b, make_step in (('hard-label', 10, 'instance', len(xh), hard),
                                              ('soft-label (RDED)', k, 'batch', len(xs), soft)):
        for name in NETWORKS:
            for fast in (False, True):
                net = get_network(name, nclass, side, norm, device=dev, channels_last=fast)
                S.rate(f"{label} {name} at {side} px, {nclass} classes, batch {b}, {'bf16 autocast + channels_last' if fast else 'fp32'}",
                       make_step(net, fast, torch.Generator(dev).manual_seed(0)), 1, reps=2 if q else 20, unit='steps/s')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cpu', action='store_true', help='run on the CPU (float32)')
    ap.add_argument('--quick', action='store_true', help='toy sizes (for a CPU smoke run)')
    ap.add_argument('--dtype', default='fp16', choices=('fp16', 'bf16'), help='inference weights dtype on the GPU (default fp16)')
    ap.add_argument('--work', default=None, help='folder for the SD pipeline (default: temporary, removed after)')
    ap.add_argument('--out', default=None, help='also write the printed output to this file')
    a = ap.parse_args()
    if a.out: Path(a.out).parent.mkdir(parents=True, exist_ok=True); sys.stdout = Tee(sys.stdout, open(a.out, 'w'))
    dev = torch.device('cpu' if a.cpu else 'cuda')
    if dev.type == 'cuda' and not torch.cuda.is_available(): ap.error('no CUDA device: pass --cpu')
    dtype = torch.float32 if dev.type == 'cpu' else {'fp16': torch.float16, 'bf16': torch.bfloat16}[a.dtype]
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True; torch.backends.cudnn.benchmark = True
    q = a.quick
    work = Path(a.work or tempfile.mkdtemp(prefix='uvlp-gpu-check-'))
    S, t00 = Section(dev), time.time()
    omp = f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} " if 'OMP_NUM_THREADS' in os.environ else ''
    print(f"# {omp}python benchmarks/gpu_check.py {' '.join(sys.argv[1:])}   "
          f"({'toy sizes: a smoke run, only checks that the script runs; ' if q else ''}{time.strftime('%Y-%m-%d %H:%M %Z')})")
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
    clip = None; free(dev)   # free its memory before the SD sections

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
    pipe = None; free(dev)   # free its memory before the training sections
    evaluation(S, dev, q)
    finetune(S, sd, dev, q)   # last: the largest memory need
    print(f"largest {'peak GPU memory (allocated)' if dev.type == 'cuda' else 'RSS'}: {S.max:.2f} GiB; total {time.time() - t00:.1f} s")
    if a.work is None: shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__': main()
