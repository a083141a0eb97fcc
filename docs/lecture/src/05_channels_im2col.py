# %% [markdown]
# # 5. Channels, many kernels, and im2col
#
# *The executable lecture, part 5 of 7.* A colour image has 3 channels (red, green, blue), so a
# kernel is 3-D: K1 x K2 x 3, and its window covers all channels at once. Each kernel still
# gives ONE output map (the sum over channels, plus one bias); N kernels give N stacked maps.
# Then: how a library really computes all of this, as ONE matrix product (im2col).

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
# ## Parameters: 4 kernels of 3x3x3 cost 4 * (3*3*3 + 1) = 112
#
# The lecture's example: a 3-channel input and 4 kernels of 3x3.

# %%
layer = nn.Conv2d(3, 4, 3)
assert tuple(layer.weight.shape) == (4, 3, 3, 3) and tuple(layer.bias.shape) == (4,)
assert parameter_count(layer) == 4 * (3 * 3 * 3 + 1) == 112
assert parameter_count(nn.Conv2d(3, 4, 3, bias=False)) == 108
print(layer, "->", parameter_count(layer), "parameters")

# %% [markdown]
# ## RGB kernels and stacked feature maps
#
# A synthetic picture with a red, a green and a blue square, and four hand-made 3x3x3
# kernels: one per colour (+1 on that channel) and a vertical-edge kernel that looks at all
# three channels. Each output map is the sum over the three channels of a 2-D
# cross-correlation, plus the bias:

# %%
picture = np.zeros((3, 12, 12), dtype="float32")
picture[0, 1:5, 1:5] = 1.0  # red square
picture[1, 4:9, 6:11] = 1.0  # green square
picture[2, 7:11, 1:5] = 1.0  # blue square
rgb = minigrad.tensor(picture).reshape(1, 3, 12, 12)

kernels = np.zeros((4, 3, 3, 3), dtype="float32")
for colour in range(3):
    kernels[colour, colour] = 1.0 / 9  # the mean of one channel over the window
kernels[3, :] = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]) / 3  # Sobel, on every channel
with minigrad.no_grad():
    layer.weight.copy_(minigrad.tensor(kernels))
    layer.bias.zero_()
maps = layer(rgb)
assert maps.shape == (1, 4, 10, 10)
for k in range(4):  # each map = sum over channels of one 2-D cross-correlation, + bias
    by_channel = sum(F.conv2d(rgb[:, c : c + 1], layer.weight[k : k + 1, c : c + 1]) for c in range(3))
    assert maps[:, k : k + 1].allclose(by_channel + layer.bias[k], atol=1e-6)
red = maps[0, 0].detach().numpy()
assert red[1, 1] > 0.99 and red[8, 8] == 0  # inside the red square, and far from it

fig, ax = plt.subplots(figsize=(2.2, 2.2))
ax.imshow(picture.transpose(1, 2, 0))
ax.set_title("input: 3 channels (RGB)", fontsize=9)
ax.axis("off")
fig = viz.plot_kernels(layer.weight, rgb=True, names=["red", "green", "blue", "edges"],
                       title="4 kernels of 3x3x3, drawn as colour")
fig = viz.plot_feature_maps(maps, names=["red", "green", "blue", "edges"], columns=4,
                            title="4 stacked output maps (one per kernel)")

# %% [markdown]
# ## im2col: the column matrix
#
# Libraries do not loop over windows. They copy every window into one column of a matrix
# (**im2col**), reshape the kernels into rows, and do ONE matrix product. `F.unfold` returns
# that matrix, and it is the very same im2col code the conv2d primitive multiplies
# (`minigrad/ops/conv.py: im2col`). On a 4x4 input numbered 1..16 with a 3x3 kernel: 9 rows
# (one per kernel cell), 4 columns (one per window).

# %%
x = minigrad.arange(1.0, 17.0).reshape(1, 1, 4, 4)
columns = F.unfold(x, kernel_size=3)
assert columns.shape == (1, 9, 4)
assert columns[0, :, 0].tolist() == [1, 2, 3, 5, 6, 7, 9, 10, 11]  # the top-left window, row by row
assert columns[0, :, 3].tolist() == [6, 7, 8, 10, 11, 12, 14, 15, 16]  # the bottom-right window

kernel = minigrad.arange(1.0, 10.0).reshape(1, 1, 3, 3)
gemm = kernel.reshape(1, 9) @ columns[0]  # (1, 9) @ (9, 4): the whole convolution
assert gemm.reshape(1, 1, 2, 2).tolist() == F.conv2d(x, kernel).tolist() == [[[[348, 393], [528, 573]]]]

# %%
# readme picture
fig = viz.plot_im2col(x[0, 0], 3, kernel=kernel)

# %% [markdown]
# ## With channels and many kernels: still one matrix product
#
# For C channels each column holds C * K1 * K2 numbers (all channels of one window) and the
# weight (O, C, K1, K2) becomes an O x (C*K1*K2) matrix: (4, 27) @ (27, 100) for the RGB
# example above. The price of im2col is memory: every pixel is copied into up to K1*K2
# columns.

# %%
columns = F.unfold(rgb, 3)
assert columns.shape == (1, 27, 100)
out = layer.weight.reshape(4, 27) @ columns[0] + layer.bias.reshape(4, 1)
assert out.reshape(1, 4, 10, 10).allclose(maps, atol=1e-6)
print(f"the input holds {rgb.numel()} numbers; its column matrix {columns.numel()} "
      f"({columns.numel() / rgb.numel():.1f}x)")
# Stride and padding only change which windows become columns.
strided = F.unfold(rgb, 3, padding=1, stride=2)
assert strided.shape == (1, 27, 36)
assert (layer.weight.reshape(4, 27) @ strided[0]).reshape(1, 4, 6, 6).allclose(
    F.conv2d(rgb, layer.weight, padding=1, stride=2), atol=1e-6)
fig = viz.plot_im2col(np.arange(1, 26).reshape(5, 5), 3, stride=2, padding=1)

# %% [markdown]
# Next: [6. The backward pass](06_backward.ipynb): the gradients of a convolution are
# convolutions too.
