"""The GQN of DESIGN.md section 5 in PyTorch, written independently of the Swift GQN module.

It is the peer of `gqn-train bench` (Tools/bench_pytorch_gqn.py) and the reference that
Tools/check_pytorch_reference.py compares the Swift loss and gradients against. It runs
the model the way published reimplementations (torch-gqn) do: every ConvLSTM gate
convolution over the full concatenated input at each of the L steps.

Parameter names are the Swift `ParameterSet` names (`representation.conv1.weight`,
`inference_core.gates.weight`, `generator_core.upsample.weight`, ...; unshared cores
insert the step: `inference_core.3.gates.weight`) and the layouts are PyTorch's
(convolution `[Cout, Cin, kh, kw]`, transposed convolution `[Cin, Cout, kh, kw]`), so a
state dict loads from a Swift safetensors file by name with no conversion.
"""
import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VIEWPOINT_SIZE = 7
"""`[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`."""


@dataclasses.dataclass(frozen=True)
class GQNConfig:
    """The architecture numbers of one GQN (the fields of Swift's `GQNConfiguration`)."""

    name: str
    image_size: int
    representation_channels: int
    hidden_channels: int
    latent_channels: int
    steps: int
    lstm_kernel: int
    scale: int
    representation: str  # "pool" or "tower"
    batch_size: int
    max_context_views: int
    shared_cores: bool = True

    @classmethod
    def from_json(cls, entry):
        """Reads the snake-case configuration object of a `reference.json`."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in entry.items() if key in names})

    @property
    def grid_size(self):
        """The side of the generator's state grid, `image_size / scale`."""
        return self.image_size // self.scale


CONFIGS = {
    "tiny": GQNConfig("tiny", 32, 64, 32, 8, 4, 3, 4, "pool", 16, 3),
    "small": GQNConfig("small", 32, 128, 64, 16, 6, 5, 4, "tower", 16, 5),
    "paper": GQNConfig("paper", 64, 256, 128, 64, 12, 5, 4, "tower", 36, 5),
}
"""The reference configurations of DESIGN.md section 5."""


class Tower(nn.Module):
    """Eslami et al. Fig. S1, every convolution followed by ReLU; `pool` averages it to 1x1."""

    def __init__(self, r, pool):
        super().__init__()
        self.pool = pool
        # Every ReLU of the tower goes through this attribute, so that a check can watch them.
        self.activation = F.relu
        v = VIEWPOINT_SIZE
        self.conv1 = nn.Conv2d(3, r, 2, 2)
        self.skip1 = nn.Conv2d(r, r, 2, 2)
        self.conv2 = nn.Conv2d(r, r // 2, 3, 1, 1)
        self.conv3 = nn.Conv2d(r // 2, r, 2, 2)
        self.skip2 = nn.Conv2d(r + v, r, 3, 1, 1)
        self.conv4 = nn.Conv2d(r + v, r // 2, 3, 1, 1)
        self.conv5 = nn.Conv2d(r // 2, r, 3, 1, 1)
        self.conv6 = nn.Conv2d(r, r, 1)

    def forward(self, x, v):
        """`[N, 3, H, W]` images seen from `[N, 7]` viewpoints -> `[N, r, H/4, W/4]` or `[N, r, 1, 1]`."""
        relu = self.activation
        a = relu(self.conv1(x))
        skip = relu(self.skip1(a))
        b = relu(self.conv3(relu(self.conv2(a)))) + skip
        v = v.view(v.size(0), VIEWPOINT_SIZE, 1, 1).expand(-1, -1, b.size(2), b.size(3))
        b = torch.cat([b, v], 1)
        skip = relu(self.skip2(b))
        c = relu(self.conv5(relu(self.conv4(b)))) + skip
        r = relu(self.conv6(c))
        return r.mean(dim=(2, 3), keepdim=True) if self.pool else r


class InferenceCore(nn.Module):
    """The inference ConvLSTM: gates from `concat(h_gen, x_down, v, r, h_inf)`."""

    def __init__(self, c):
        super().__init__()
        h, k = c.hidden_channels, c.lstm_kernel
        inputs = h + 3 + VIEWPOINT_SIZE + c.representation_channels + h
        self.gates = nn.Conv2d(inputs, 4 * h, k, 1, k // 2)


class GeneratorCore(nn.Module):
    """The generator ConvLSTM (gates from `concat(z, v, r, h_gen)`) and its canvas upsampler."""

    def __init__(self, c):
        super().__init__()
        h, k, s = c.hidden_channels, c.lstm_kernel, c.scale
        inputs = c.latent_channels + VIEWPOINT_SIZE + c.representation_channels + h
        self.gates = nn.Conv2d(inputs, 4 * h, k, 1, k // 2)
        self.upsample = nn.ConvTranspose2d(h, h, s, s, bias=False)


def lstm(gates, cell):
    """The ConvLSTM update from gate pre-activations ordered (forget, input, output, candidate)."""
    f, i, o, g = torch.chunk(gates, 4, 1)
    cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(cell), cell


def gaussian(parameters):
    """Splits `[B, 2z, g, g]` into a mean and a standard deviation `softplus(.) + 1e-4`."""
    mean, raw = torch.chunk(parameters, 2, 1)
    return mean, F.softplus(raw) + 1e-4


class GQN(nn.Module):
    """A Generative Query Network: tower or pool representation, ConvDRAW generator."""

    def __init__(self, config):
        super().__init__()
        if config.representation not in ("pool", "tower"):
            raise ValueError(f"representation: expected pool or tower, found {config.representation!r}")
        self.config = c = config
        h, z, k, s = c.hidden_channels, c.latent_channels, c.lstm_kernel, c.scale
        self.representation = Tower(c.representation_channels, c.representation == "pool")
        self.generator = nn.ModuleDict({"downsample": nn.Conv2d(3, 3, s, s, bias=False)})
        if c.shared_cores:
            self.inference_core = InferenceCore(c)
            self.generator_core = GeneratorCore(c)
        else:
            self.inference_core = nn.ModuleList(InferenceCore(c) for _ in range(c.steps))
            self.generator_core = nn.ModuleList(GeneratorCore(c) for _ in range(c.steps))
        self.prior = nn.Conv2d(h, 2 * z, k, 1, k // 2)
        self.posterior = nn.Conv2d(h, 2 * z, k, 1, k // 2)
        self.output = nn.Conv2d(h, 3, 1)

    def cores(self, step):
        """The inference and generator cores of step `step`."""
        if self.config.shared_cores:
            return self.inference_core, self.generator_core
        return self.inference_core[step], self.generator_core[step]

    def scene_representation(self, context_images, context_viewpoints):
        """`[B, K, 3, H, W]`, `[B, K, 7]` -> the representation summed over the K views."""
        batch, views = context_images.shape[:2]
        r = self.representation(context_images.flatten(0, 1), context_viewpoints.flatten(0, 1))
        return r.view(batch, views, *r.shape[1:]).sum(1)

    def _rollout(self, r, query_viewpoints, query_images, noise):
        """Runs the L steps; posterior latents when `query_images` is given, else prior samples.

        `noise(step, like)` returns step `step`'s standard normal eps shaped like `like`.
        Returns the image mean and the KL per scene (None without query images).
        """
        c = self.config
        batch, g = query_viewpoints.size(0), c.grid_size
        v = query_viewpoints.view(batch, VIEWPOINT_SIZE, 1, 1).expand(-1, -1, g, g)
        if r.size(2) != g:
            r = r.expand(-1, -1, g, g)
        x_down = self.generator["downsample"](query_images) if query_images is not None else None
        zeros = v.new_zeros(batch, c.hidden_channels, g, g)
        h_gen, c_gen, h_inf, c_inf = zeros, zeros, zeros, zeros
        canvas, kl = None, None
        for step in range(c.steps):
            inference, generator = self.cores(step)
            prior_mean, prior_std = gaussian(self.prior(h_gen))
            if x_down is not None:
                h_inf, c_inf = lstm(inference.gates(torch.cat([h_gen, x_down, v, r, h_inf], 1)), c_inf)
                post_mean, post_std = gaussian(self.posterior(h_inf))
                latent = post_mean + post_std * noise(step, post_mean)
                step_kl = (
                    torch.log(prior_std / post_std)
                    + (post_std ** 2 + (post_mean - prior_mean) ** 2) / (2 * prior_std ** 2)
                    - 0.5
                ).flatten(1).sum(1)
                kl = step_kl if kl is None else kl + step_kl
            else:
                latent = prior_mean + prior_std * noise(step, prior_mean)
            h_gen, c_gen = lstm(generator.gates(torch.cat([latent, v, r, h_gen], 1)), c_gen)
            update = generator.upsample(h_gen)
            canvas = update if canvas is None else canvas + update
        return torch.sigmoid(self.output(canvas)), kl

    def forward(self, context_images, context_viewpoints, query_images, query_viewpoints, sigma, noise=None):
        """The negative ELBO of a batch, with latents from the posterior.

        `noise` is None (fresh `torch.randn_like` draws) or a sequence whose item `l` is
        step l's eps `[B, z, g, g]` (z = mean + std * eps). Returns a dict with `loss`
        (the batch mean of nll + kl), `nll` and `kl` per scene, and the image `mean`.
        """
        r = self.scene_representation(context_images, context_viewpoints)
        mean, kl = self._rollout(r, query_viewpoints, query_images, _noise_source(noise))
        log_normaliser = math.log(sigma) + 0.5 * math.log(2 * math.pi)
        nll = (0.5 * ((query_images - mean) / sigma) ** 2 + log_normaliser).flatten(1).sum(1)
        return {"loss": (nll + kl).mean(), "nll": nll, "kl": kl, "mean": mean}

    def generate(self, context_images, context_viewpoints, query_viewpoints, noise=None):
        """Renders the query views with latents sampled from the prior; returns the image means."""
        r = self.scene_representation(context_images, context_viewpoints)
        mean, _ = self._rollout(r, query_viewpoints, None, _noise_source(noise))
        return mean


def _noise_source(noise):
    if noise is None:
        return lambda step, like: torch.randn_like(like)

    def injected(step, like):
        eps = noise[step]
        if eps.shape != like.shape:
            raise ValueError(f"noise step {step}: expected shape {list(like.shape)}, found {list(eps.shape)}")
        return eps.to(like.dtype)

    return injected


def load_parameters(model, tensors):
    """Copies every parameter of `model` from `tensors` (a name -> tensor mapping) by name.

    Raises ValueError naming every missing or misshapen parameter; names in `tensors`
    that are not parameters are ignored (a fixture also holds inputs and gradients).
    """
    problems = []
    state = model.state_dict()
    for name, target in state.items():
        source = tensors.get(name)
        if source is None:
            problems.append(f"{name}: missing")
        elif tuple(source.shape) != tuple(target.shape):
            problems.append(f"{name}: expected shape {list(target.shape)}, found {list(source.shape)}")
    if problems:
        raise ValueError("parameters do not match the model:\n  " + "\n  ".join(problems))
    with torch.no_grad():
        for name, target in state.items():
            target.copy_(torch.as_tensor(tensors[name]).to(target.dtype))
