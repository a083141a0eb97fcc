# %% [markdown]
# # 4. Output sizes: valid, padded, strided, and the "invalid" stride
#
# *The executable lecture, part 4 of 7.* How many windows fit? For an N x N input and a K x K
# kernel moved by a stride S, with P zeros of padding on each side:
#
# $$\text{output} = \frac{N + 2P - K}{S} + 1$$
#
# (with a dilation D the kernel spans D(K-1)+1 cells, so K becomes D(K-1)+1). When the
# division is not exact the lecture calls the stride **invalid**: the windows do not tile the
# input. PyTorch (and minigrad) round down and silently skip the cells no window reaches.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, viz

plt.rcParams["figure.dpi"] = 90


def lecture_formula(n, k, s=1, p=0):
    return (n + 2 * p - k) / s + 1


# %% [markdown]
# ## Four cases on a 5x5 input with a 3x3 kernel
#
# For each case: the formula, `F.conv_output_size`, and the shape of a real `F.conv2d`.

# %%
cases = {  # name: (stride, padding, the lecture's size)
    "valid": (1, 0, 3),
    "padded (same)": (1, 1, 5),
    "stride 2": (2, 0, 2),
    "stride 3: invalid": (3, 0, 1),
}
x = minigrad.arange(1.0, 26.0).reshape(1, 1, 5, 5)
for name, (stride, padding, size) in cases.items():
    formula = lecture_formula(5, 3, stride, padding)
    out = F.conv2d(x, minigrad.ones(1, 1, 3, 3), stride=stride, padding=padding)
    assert out.shape[2:] == (size, size) == F.conv_output_size((5, 5), 3, stride, padding)
    assert int(formula) == size  # PyTorch's rule: round down
    print(f"{name:18s} (5 + 2*{padding} - 3)/{stride} + 1 = {formula:.2f} -> {size}x{size}")
assert lecture_formula(5, 3, 3) != int(lecture_formula(5, 3, 3))  # 1.67: not a whole number

# The cells the stride-3 windows never read: the last two rows and columns.
unused = viz.unused_cells(5, 3, stride=3)
assert unused == [(r, c) for r in range(5) for c in range(5) if r >= 3 or c >= 3]
# Cross-check with autograd: those pixels get no gradient at all.
probe = minigrad.ones(1, 1, 5, 5, requires_grad=True)
F.conv2d(probe, minigrad.ones(1, 1, 3, 3), stride=3).sum().backward()
assert [tuple(cell) for cell in np.argwhere(probe.grad[0, 0].numpy() == 0)] == unused

# %%
# readme picture
fig, axes = plt.subplots(1, 4, figsize=(13.5, 4.0))
for ax, (name, (stride, padding, _)) in zip(axes, cases.items()):
    viz.plot_windows(5, 3, stride=stride, padding=padding, ax=ax, title=name,
                     outputs=[(0, 0), (0, 1)] if stride < 3 else [(0, 0)])
fig.tight_layout()

# %% [markdown]
# ## Dilation: a wider window with the same nine weights
#
# A dilated kernel skips cells: with dilation 2 a 3x3 kernel spans 5x5. On a 7x7 input:
# (7 - 2*(3-1) - 1)/1 + 1 = 3 outputs per axis.

# %%
assert F.conv2d(minigrad.zeros(1, 1, 7, 7), minigrad.zeros(1, 1, 3, 3), dilation=2).shape == (1, 1, 3, 3)
assert viz.window_cells(7, 3, dilation=2, output=(0, 0)) == [(r, c) for r in (0, 2, 4) for c in (0, 2, 4)]
fig = viz.plot_windows(7, 3, dilation=2, outputs=[(0, 0), (1, 2)])

# %% [markdown]
# ## Padding modes side by side
#
# Padding does not have to be zeros. `nn.Conv2d(..., padding_mode=...)` offers PyTorch's four:
# zeros, reflect (mirror without repeating the edge), replicate (repeat the edge) and circular
# (wrap around). A kernel with a single 1 in its corner copies the padded image, so the layer
# itself shows us the padding it used:

# %%
image = minigrad.arange(1.0, 10.0).reshape(1, 1, 3, 3)
for mode in ("zeros", "reflect", "replicate", "circular"):
    copy_corner = nn.Conv2d(1, 1, 3, padding=2, padding_mode=mode, bias=False)
    with minigrad.no_grad():
        copy_corner.weight.zero_()
        copy_corner.weight[0, 0, 0, 0] = 1.0
    padded = F.pad(image, (2, 2, 2, 2), mode="constant" if mode == "zeros" else mode)
    assert copy_corner(image).allclose(padded[..., :5, :5]), mode
assert F.pad(image, (2, 2, 2, 2), mode="reflect")[0, 0, 0].tolist() == [9, 8, 7, 8, 9, 8, 7]
assert F.pad(image, (2, 2, 2, 2), mode="circular")[0, 0, 0].tolist() == [5, 6, 4, 5, 6, 4, 5]
fig = viz.plot_padding_modes(image[0, 0], 2)

# %% [markdown]
# Next: [5. Channels, many kernels, and im2col](05_channels_im2col.ipynb).
