# %% [markdown]
# # 3. 2-D convolution with a Sobel kernel
#
# *The executable lecture, part 3 of 7.* In 2-D, a window of the image is multiplied cell by
# cell with the kernel and summed, plus a bias: one output number per window position. The
# lecture's example is an edge detector, the Sobel kernel, on one 3x3 patch.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, viz
from minigrad.data import MNIST

plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# ## One window: the patch gives 65, plus the bias
#
# The patch [[200, 150, 150], [100, 50, 100], [25, 25, 10]] and the Sobel kernel
# [[1, 0, -1], [2, 0, -2], [1, 0, -1]]: multiply cell by cell and add up,
# 200 - 150 + 200 - 200 + 25 - 10 = 65. That is a cross-correlation, what `nn.Conv2d`
# computes; the layer then adds its bias.

# %%
patch = minigrad.tensor([[200.0, 150, 150], [100, 50, 100], [25, 25, 10]])
sobel = minigrad.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])

products = patch * sobel
assert products.sum().item() == 65  # the lecture's number

layer = nn.Conv2d(1, 1, 3)
with minigrad.no_grad():
    layer.weight.copy_(sobel.reshape(1, 1, 3, 3))
    for bias in (0.0, 5.0, -65.0):
        layer.bias.fill_(bias)
        assert layer(patch.reshape(1, 1, 3, 3)).item() == 65 + bias
# The textbook convolution flips the kernel first: here that flips the sign.
assert F.convolve2d(patch, sobel).item() == -65

fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.4))
viz.plot_grid(patch, ax=axes[0], title="patch")
viz.plot_grid(sobel, ax=axes[1], title="Sobel kernel")
viz.plot_grid(products, ax=axes[2], title=f"products: sum = {products.sum().item():.0f}", cmap="coolwarm")
fig.tight_layout()

# %% [markdown]
# ## Two ways to number a kernel: centred or from 0
#
# Books write the same sum with two index conventions. **Centred**: the kernel's middle is
# k(0, 0) and its indices run -1..1; the output sits at the window's centre,
# y(r, c) = sum_(a, b = -1..1) k(a, b) x(r + a, c + b). **From 0**: indices run 0..k-1 and the
# output sits at the window's top-left corner, y(r, c) = sum_(a, b = 0..2) k(a, b) x(r + a, c + b).
# The numbers are the same; only the output's index moves by the kernel's half-width.

# %%
rng = np.random.default_rng(1)
x = rng.integers(0, 9, (6, 6)).astype(float)
k = np.asarray(sobel.tolist())
centred = {}
for r in range(1, 5):
    for c in range(1, 5):
        centred[r, c] = sum(k[a + 1, b + 1] * x[r + a, c + b] for a in (-1, 0, 1) for b in (-1, 0, 1))
from_zero = {}
for r in range(4):
    for c in range(4):
        from_zero[r, c] = sum(k[a, b] * x[r + a, c + b] for a in range(3) for b in range(3))
assert all(centred[r, c] == from_zero[r - 1, c - 1] for r, c in centred)  # shifted by one
layer_output = F.conv2d(minigrad.tensor(x).reshape(1, 1, 6, 6), sobel.double().reshape(1, 1, 3, 3))
assert layer_output.reshape(4, 4).tolist() == [[from_zero[r, c] for c in range(4)] for r in range(4)]

labels_centred = [[f"k({a},{b})" for b in (-1, 0, 1)] for a in (-1, 0, 1)]
labels_zero = [[f"k({a},{b})" for b in range(3)] for a in range(3)]
fig, axes = plt.subplots(1, 2, figsize=(5.2, 2.3))
viz.plot_grid(np.zeros((3, 3)), texts=labels_centred, ax=axes[0], title="centred: output at the centre",
              fontsize=7, highlight=[(1, 1)])
viz.plot_grid(np.zeros((3, 3)), texts=labels_zero, ax=axes[1], title="from 0: output at the corner",
              fontsize=7, highlight=[(0, 0)])
fig.tight_layout()

# %% [markdown]
# ## Sobel edges on a real MNIST digit
#
# Slide the kernel over a whole image and the output is large where brightness changes from
# left to right: a vertical edge. Its transpose finds horizontal edges. We pad by one pixel so
# the edge maps keep the digit's 28x28 size.

# %%
digits = MNIST(os.environ.get("MINIGRAD_SHARED_DATA"), train=False, normalize=False)
image, label = digits[0]  # the first test image
digit = minigrad.tensor(image).reshape(1, 1, 28, 28)
kernels = minigrad.stack([sobel, sobel.T]).reshape(2, 1, 3, 3)
edges = F.conv2d(digit, kernels, padding=1)
vertical, horizontal = edges[0, 0], edges[0, 1]
magnitude = (vertical**2 + horizontal**2).sqrt()

pixels = np.asarray(image[0])
# Where the image is flat (the empty border), no edge: exactly zero.
assert magnitude[:3].abs().sum().item() == 0 and pixels[:4].sum() == 0
# Just right of the stroke's right edge, bright (left) minus dark (right) is positive.
row = int(np.argmax((pixels > 0.5).sum(1)))  # the row with the most ink
right_edge = int(np.nonzero(pixels[row] > 0.5)[0].max())
assert vertical[row, right_edge + 1].item() > 0
# One window, by hand, against the layer.
r, c = row, right_edge + 1
window = np.pad(pixels, 1)[r : r + 3, c : c + 3]
assert np.isclose((window * k).sum(), vertical[r, c].item(), atol=1e-5)

# %%
# readme picture
fig = viz.plot_feature_maps(minigrad.stack([digit[0, 0], vertical, horizontal, magnitude]), cmap="gray",
                            names=[f"digit {label}", "Sobel: vertical edges", "transposed: horizontal",
                                   "edge strength"],
                            columns=4, title="the Sobel kernel on a real MNIST digit")

# %% [markdown]
# Next: [4. Output sizes, padding and stride](04_output_sizes.ipynb).
