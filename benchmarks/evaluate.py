"""Training speed of the evaluation protocol: SGD steps per second for each network at 224 and 32 px.

One step = the protocol's train transform on the device (crop/flip/jitter/lighting at 224 px,
normalise only at 32 px) + CutMix + forward/backward + SGD, on a batch of 64 uint8 images kept
on the device. Also prints test-time throughput (images/s). Not a test: it prints figures.

Usage: python benchmarks/evaluate.py [--device cpu|cuda] [--steps 3] [--batch 64] [--sizes 224 32]
"""
import argparse, time
import torch
from uvlp.config import default_device
from uvlp.networks import NETWORKS, get_network, network_label
from uvlp.evaluate import protocol_for, train_step, top1

def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()

def bench(name, im_size, device, steps, batch, amp, channels_last):
    "Steps/s of training and images/s of evaluation for one network and resolution."
    g = torch.Generator(device).manual_seed(0)
    net = get_network(name, 10, im_size, device=device, channels_last=channels_last)
    proto = protocol_for(10, 10, im_size)
    x = torch.randint(0, 256, (batch, 3, im_size, im_size), dtype=torch.uint8, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    opt = torch.optim.SGD(net.parameters(), proto.lr, momentum=proto.momentum, weight_decay=proto.weight_decay)
    train_step(net, opt, x, y, proto, g, amp, channels_last); sync(device)   # warm-up
    t = time.perf_counter()
    for _ in range(steps): train_step(net, opt, x, y, proto, g, amp, channels_last)
    sync(device); train_s = (time.perf_counter() - t) / steps
    xv, yv = x.repeat(4, 1, 1, 1), y.repeat(4)
    t = time.perf_counter(); top1(net, xv, yv, proto.stats, batch=len(xv), amp=amp, channels_last=channels_last); sync(device)
    return 1 / train_s, len(xv) / (time.perf_counter() - t)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default=None); p.add_argument('--steps', type=int, default=3)
    p.add_argument('--batch', type=int, default=64); p.add_argument('--sizes', type=int, nargs='+', default=[224, 32])
    a = p.parse_args()
    device = default_device(a.device)
    gpu = device.type == 'cuda'
    print(f"device {device} ({torch.cuda.get_device_name() if gpu else f'{torch.get_num_threads()} threads'}), "
          f"batch {a.batch}, {a.steps} timed steps after 1 warm-up, amp={gpu}, channels_last={gpu}")
    print("| network | px | train steps/s | s/step | eval images/s |\n|---|---:|---:|---:|---:|")
    for s in a.sizes:
        for name in NETWORKS:
            sps, ips = bench(name, s, device, a.steps, a.batch, gpu, gpu)
            print(f"| {network_label(name, s)} | {s} | {sps:.3f} | {1/sps:.2f} | {ips:.0f} |", flush=True)

if __name__ == '__main__': main()
