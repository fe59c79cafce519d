"""One fine-tuning step of `uvlp.finetune.finetune_sd` on an SD 1.5 pipeline at its real size (random weights, CPU), then the
result reloaded by `uvlp.synthesis.load_sd`: prints seconds and peak memory, and checks that the UNet moved and the rest did not.

The protocol's EMA (`use_ema`) is off: fp32 weights, gradients and AdamW's two moments of an 860 M-parameter UNet are
already ~14 GB, and an EMA copy would take the step past the 24 GB of this machine. 256 px keeps the activations small.
Usage: python benchmarks/finetune_fullsize.py [--work /work/scratch/ftfull]
"""
import argparse, time
from pathlib import Path
import torch
from common import peak_rss_mb
from uvlp.finetune import FinetuneConfig, finetune_sd
from uvlp.testing import write_demo_folder, write_sd15
from uvlp.data import list_images
from uvlp.synthesis import load_sd

def peak_gib(): return peak_rss_mb() / 1024

def main():
    a = argparse.ArgumentParser(description=__doc__); a.add_argument('--work', default='/work/scratch/ftfull'); w = Path(a.parse_args().work)
    t = time.time(); sd = write_sd15(w/'sd15', seed=0); print(f'random SD 1.5 folder: {time.time() - t:.1f} s, peak RSS {peak_gib():.2f} GiB')
    info = write_demo_folder(w/'demo', size=256)
    lst = list_images(w/'demo', info, 'train')
    cfg = FinetuneConfig(resolution=256, batch_size=1, grad_accum=1, max_steps=1, lr=1e-4, mixed_precision='no', use_ema=False)
    t = time.time(); res = finetune_sd(sd, lst.paths[:1], ['a handwritten zero'], w/'sd15-ft', cfg, device='cpu')
    print(f'finetune_sd, 1 step at 256 px (incl. load and save): {time.time() - t:.1f} s, loss {res.losses[0]:.4f}, peak RSS {peak_gib():.2f} GiB')
    before, after = load_sd(sd, 'cpu'), load_sd(w/'sd15-ft', 'cpu')
    moved = max((after.unet.state_dict()[k] - v).abs().max().item() for k, v in before.unet.state_dict().items())
    same = all(torch.equal(after.vae.state_dict()[k], v) for k, v in before.vae.state_dict().items()) and \
           all(torch.equal(after.text_encoder.state_dict()[k], v) for k, v in before.text_encoder.state_dict().items())
    print(f'reloaded by load_sd: UNet moved by up to {moved:.3g}; VAE and text encoder unchanged: {same}; peak RSS {peak_gib():.2f} GiB')
    assert moved > 0 and same

if __name__ == '__main__': main()
