# %% [markdown]
# # 1. Why convolutions: images, linear layers, receptive fields, shared weights
#
# *The executable lecture, part 1 of 7* (after Georgia Tech CS 4644/7643 "Convolutional Neural
# Networks", Zsolt Kira). Every number below is computed with minigrad and checked with
# `assert`; CI runs this notebook, so a wrong claim fails the build.
#
# A fully connected (linear) layer connects every input to every output. Images are big, so that
# costs a lot of parameters, and it throws away what we know about images: nearby pixels belong
# together, and a pattern means the same thing wherever it appears. Convolutions build those two
# facts in: **local receptive fields** and **shared weights**, plus **many features** (kernels).

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, viz

plt.rcParams["figure.dpi"] = 90


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


# %% [markdown]
# ## A linear layer on an image: M*N + N parameters
#
# A linear layer from M inputs to N outputs has an M x N weight matrix and N biases. Flatten a
# small 28x28 grey MNIST digit (M = 784) into N = 100 hidden units, or a 32x32 colour image
# (M = 3,072):

# %%
for height, width, channels, hidden in [(28, 28, 1, 100), (32, 32, 3, 100)]:
    m = height * width * channels
    layer = nn.Linear(m, hidden)
    assert parameter_count(layer) == m * hidden + hidden
    print(f"{height}x{width}x{channels} image -> {hidden} units: M*N + N = {m}*{hidden} + {hidden} "
          f"= {parameter_count(layer):,} parameters")

# The formula, checked on real modules above, for an ImageNet-sized image (a module this
# size would need 600 MB):
m, n = 224 * 224 * 3, 1000
print(f"224x224x3 image -> 1000 units: {m * n + n:,} parameters")

# %% [markdown]
# ## A receptive field: K1*K2 + 1 parameters, N kernels: (K1*K2 + 1)*N
#
# A convolution unit looks at a K1 x K2 window only (its **receptive field**) and has one bias.
# N kernels, one per feature, cost (K1*K2 + 1)*N parameters, whatever the image size:

# %%
for k1, k2 in [(3, 3), (5, 5), (3, 5)]:
    one = nn.Conv2d(1, 1, (k1, k2))
    assert parameter_count(one) == k1 * k2 + 1
    for kernels in (1, 6, 32):
        assert parameter_count(nn.Conv2d(1, kernels, (k1, k2))) == (k1 * k2 + 1) * kernels
print("one 3x3 kernel:", parameter_count(nn.Conv2d(1, 1, 3)), "parameters;",
      "6 kernels of 5x5 (LeNet's first layer):", parameter_count(nn.Conv2d(1, 6, 5)))

# %%
# readme picture
sizes = {
    "linear 28x28 -> 100": parameter_count(nn.Linear(784, 100)),
    "linear 32x32x3 -> 100": parameter_count(nn.Linear(3072, 100)),
    "conv 6 kernels 5x5": parameter_count(nn.Conv2d(1, 6, 5)),
    "conv 1 kernel 3x3": parameter_count(nn.Conv2d(1, 1, 3)),
}
fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.2), gridspec_kw={"width_ratios": [1.6, 1]})
bars = left.barh(list(sizes), list(sizes.values()), color=["#d62728", "#d62728", "#1f77b4", "#1f77b4"])
left.set_xscale("log")
left.bar_label(bars, labels=[f"{v:,}" for v in sizes.values()], padding=3, fontsize=8)
left.set_xlabel("parameters (log scale)")
left.set_title("linear layers vs convolutions", fontsize=10)
viz.plot_windows(6, 3, outputs=[(0, 0), (2, 3)], ax=right, title="two receptive fields of a 3x3 kernel")
fig.tight_layout()

# %% [markdown]
# ## Receptive fields grow with depth
#
# Stack layers and a unit deep in the network sees a larger part of the image. Autograd tells
# us exactly which input pixels one output depends on: backward from that output alone (a
# *one-hot* upstream gradient) and look where the gradient is not zero. Here are LeNet's first
# layers (5x5 convolution, 2x2 pooling, 5x5 convolution), with positive kernels so that no term
# cancels:

# %%
kernel5 = minigrad.ones(1, 1, 5, 5, dtype=minigrad.float64)


def lenet_features(x):
    return F.conv2d(F.avg_pool2d(F.conv2d(x, kernel5, padding=2), 2), kernel5)


after_first = viz.receptive_field(lambda x: F.conv2d(x, kernel5, padding=2), (1, 1, 28, 28), (0, 0, 14, 14))
after_second = viz.receptive_field(lenet_features, (1, 1, 28, 28), (0, 0, 5, 5))
assert after_first.sum() == 5 * 5
# Second conv: 5 pooled cells = 10 first-layer outputs, each seeing 5 pixels: 10 + 5 - 1 = 14.
rows, cols = np.nonzero(after_second[0, 0])
assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (14, 14)

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
viz.plot_receptive_field(after_first, ax=axes[0], title="conv1 unit: 5x5")
viz.plot_receptive_field(after_second, ax=axes[1], title="conv2 unit (after pooling): 14x14")
fig.tight_layout()

# %% [markdown]
# ## Shared weights: the same kernel everywhere
#
# A convolution applies ONE kernel at every position. So a pattern is detected wherever it is,
# and moving the pattern moves the response (*translation equivariance*). A linear layer would
# need to learn the pattern separately at every position.

# %%
pattern = minigrad.tensor([[0.0, 1, 0], [1, 1, 1], [0, 1, 0]])  # a small plus sign
image = minigrad.zeros(1, 1, 12, 12)
image[0, 0, 2:5, 2:5] = pattern
shifted = minigrad.zeros(1, 1, 12, 12)
shifted[0, 0, 6:9, 5:8] = pattern  # the same plus, 4 rows down and 3 columns right
detector = pattern.reshape(1, 1, 3, 3)

response, response_shifted = F.conv2d(image, detector), F.conv2d(shifted, detector)
peak = np.unravel_index(int(response.argmax()), response.shape[2:])
peak_shifted = np.unravel_index(int(response_shifted.argmax()), response.shape[2:])
assert response.max().item() == response_shifted.max().item() == 5.0  # the same match, 5 pixels
assert (peak_shifted[0] - peak[0], peak_shifted[1] - peak[1]) == (4, 3)  # moved with the pattern
assert response[0, 0, 0:6, 0:7].allclose(response_shifted[0, 0, 4:10, 3:10])  # the whole map, shifted

# Each response is drawn at its windows' centres (padded by one), so it lines up with the image.
centred = [F.pad(r, (1, 1, 1, 1))[0] for r in (response, response_shifted)]
fig = viz.plot_feature_maps(minigrad.cat([image[0], centred[0], shifted[0], centred[1]], 0),
                            columns=4, names=["image", "response", "shifted image", "response"],
                            title="one shared kernel: the response moves with the pattern")

# %% [markdown]
# ## Many features: N kernels give N stacked feature maps
#
# One kernel finds one kind of pattern. A layer has many kernels; each gives its own output
# map, and the maps are stacked as channels: `nn.Conv2d(1, 4, 3)` turns a (1, 1, H, W) image
# into (1, 4, H-2, W-2).

# %%
layer = nn.Conv2d(1, 4, 3)
maps = layer(image)
assert maps.shape == (1, 4, 10, 10)
for k in range(4):  # each map is the one-kernel convolution with that kernel (and its bias)
    one = F.conv2d(image, layer.weight[k : k + 1], layer.bias[k : k + 1])
    assert maps[:, k : k + 1].allclose(one)
print("4 kernels:", tuple(layer.weight.shape), "->", tuple(maps.shape))

# %% [markdown]
# Next: [2. Convolution in signal processing](02_signal_processing.ipynb) - where the formula
# comes from, and why deep learning's "convolution" is really a cross-correlation.
