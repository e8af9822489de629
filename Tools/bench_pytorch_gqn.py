#!/usr/bin/env python3
"""The PyTorch peer of `gqn-train bench`: the same GQN (DESIGN.md section 5), the way
published reimplementations (torch-gqn) run it: every gate convolution over the full
concatenated input at each of the L steps, shared cores, Adam.

Usage: python3 Tools/bench_pytorch_gqn.py --config tiny|small [--threads 2] [--steps 10]
Prints one JSON line with step_s_median and peak_mb (ru_maxrss), like `gqn-train bench`.
"""
import argparse, json, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # image, r, h, z, L, kernel, scale, representation, batch, context
    "tiny": (32, 64, 32, 8, 4, 3, 4, "pool", 16, 3),
    "small": (32, 128, 64, 16, 6, 5, 4, "tower", 16, 5),
}


class Tower(nn.Module):
    def __init__(self, r, pool):
        super().__init__()
        self.pool = pool
        self.c1 = nn.Conv2d(3, r, 2, 2)
        self.s1 = nn.Conv2d(r, r, 2, 2)
        self.c2 = nn.Conv2d(r, r // 2, 3, 1, 1)
        self.c3 = nn.Conv2d(r // 2, r, 2, 2)
        self.s2 = nn.Conv2d(r + 7, r, 3, 1, 1)
        self.c4 = nn.Conv2d(r + 7, r // 2, 3, 1, 1)
        self.c5 = nn.Conv2d(r // 2, r, 3, 1, 1)
        self.c6 = nn.Conv2d(r, r, 1)

    def forward(self, x, v):
        a = F.relu(self.c1(x))
        skip = F.relu(self.s1(a))
        b = F.relu(self.c3(F.relu(self.c2(a)))) + skip
        v = v.view(v.size(0), 7, 1, 1).expand(-1, -1, b.size(2), b.size(3))
        b = torch.cat([b, v], 1)
        skip = F.relu(self.s2(b))
        c = F.relu(self.c5(F.relu(self.c4(b)))) + skip
        r = F.relu(self.c6(c))
        return r.mean(dim=(2, 3), keepdim=True) if self.pool else r


class GQN(nn.Module):
    def __init__(self, image, r, h, z, L, k, scale, rep):
        super().__init__()
        self.h, self.z, self.L, self.scale, self.k = h, z, L, scale, k
        self.tower = Tower(r, rep == "pool")
        self.down = nn.Conv2d(3, 3, scale, scale, bias=False)
        self.inf = nn.Conv2d(h + 3 + 7 + r + h, 4 * h, k, 1, k // 2)
        self.gen = nn.Conv2d(z + 7 + r + h, 4 * h, k, 1, k // 2)
        self.up = nn.ConvTranspose2d(h, h, scale, scale, bias=False)
        self.prior = nn.Conv2d(h, 2 * z, k, 1, k // 2)
        self.post = nn.Conv2d(h, 2 * z, k, 1, k // 2)
        self.out = nn.Conv2d(h, 3, 1)

    @staticmethod
    def lstm(gates, c):
        f, i, o, g = torch.chunk(gates, 4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, xc, vc, xq, vq, sigma):
        B, K = xc.shape[:2]
        r = self.tower(xc.flatten(0, 1), vc.flatten(0, 1))
        r = r.view(B, K, *r.shape[1:]).sum(1)
        g = xq.size(2) // self.scale
        vg = vq.view(B, 7, 1, 1).expand(-1, -1, g, g)
        if r.size(2) != g:
            r = r.expand(-1, -1, g, g)
        xd = self.down(xq)
        hg = cg = hi = ci = xq.new_zeros(B, self.h, g, g)
        u = xq.new_zeros(B, self.h, xq.size(2), xq.size(3))
        kl = 0
        for _ in range(self.L):
            pm, ps = torch.chunk(self.prior(hg), 2, 1)
            ps = F.softplus(ps) + 1e-4
            hi, ci = self.lstm(self.inf(torch.cat([hg, xd, vg, r, hi], 1)), ci)
            qm, qs = torch.chunk(self.post(hi), 2, 1)
            qs = F.softplus(qs) + 1e-4
            zz = qm + qs * torch.randn_like(qm)
            hg, cg = self.lstm(self.gen(torch.cat([zz, vg, r, hg], 1)), cg)
            u = u + self.up(hg)
            kl = kl + (torch.log(ps / qs) + (qs ** 2 + (qm - pm) ** 2) / (2 * ps ** 2) - 0.5).flatten(1).sum(1)
        mean = torch.sigmoid(self.out(u))
        nll = (0.5 * ((xq - mean) / sigma) ** 2 + torch.log(torch.tensor(sigma)) + 0.9189385).flatten(1).sum(1)
        return (nll + kl).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    image, r, h, z, L, k, scale, rep, B, K = CONFIGS[args.config]
    model = GQN(image, r, h, z, L, k, scale, rep)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), eps=1e-8)
    xc, vc = torch.rand(B, K, 3, image, image), torch.randn(B, K, 7)
    xq, vq = torch.rand(B, 3, image, image), torch.randn(B, 7)
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = model(xc, vc, xq, vq, 2.0)
        loss.backward()
        opt.step()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "config": args.config, "threads": args.threads,
        "steps": args.steps, "step_s_median": statistics.median(times), "step_s_min": min(times),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "loss_last": loss.item(),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
