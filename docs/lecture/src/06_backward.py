# %% [markdown]
# # 6. The backward pass: the gradients of a convolution are convolutions
#
# *The executable lecture, part 6 of 7.* Training needs dL/dk (to update the kernel) and
# dL/dx (to pass the gradient on to the layer below), given the upstream gradient dL/dy.
# The lecture derives both by following each weight and each pixel to the outputs it touches:
#
# * **dL/dk is the cross-correlation of the input x with dL/dy**;
# * **dL/dx is the full convolution of dL/dy with the kernel**, which is the cross-correlation
#   of the zero-padded dL/dy with the kernel flipped by 180 degrees.
#
# minigrad's conv2d backward is written as exactly these two rules, with conv2d itself, so it
# can draw them. The example is the lecture's: a 5x5 input, a 3x3 kernel, a 3x3 output.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import minigrad
import minigrad.nn.functional as F
from minigrad import viz

plt.rcParams["figure.dpi"] = 90

x = minigrad.arange(1.0, 26.0, dtype=minigrad.float64).reshape(1, 1, 5, 5).requires_grad_()
k = minigrad.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=minigrad.float64).reshape(1, 1, 3, 3)
k.requires_grad_()
x.name, k.name = "x", "k"
upstream = minigrad.tensor([[1.0, -1, 2], [0, 3, -2], [1, 1, -1]], dtype=minigrad.float64).reshape(1, 1, 3, 3)

y = F.conv2d(x, k)
(y * upstream).sum().backward()  # L = sum(y * dL/dy): its gradient wrt y is dL/dy
print("dL/dk from .backward():\n", k.grad[0, 0].numpy())

# %% [markdown]
# ## Which pixels does k(0,0) meet? And k(2,2)?
#
# Every kernel weight is used by every output, each time on a different pixel. Autograd finds
# the pixel: with a one-hot dL/dy at output (r, c), dL/dk is that output's window, so
# dL/dk(i, j) is the number of the pixel k(i, j) multiplied there (the input is numbered).
# k(0,0) meets the top-left 3x3 block of x, k(2,2) the bottom-right one.

# %%
meets_00 = viz.kernel_tap_cells(5, 3, (0, 0))
meets_22 = viz.kernel_tap_cells(5, 3, (2, 2))
assert meets_00 == {(r, c): (r, c) for r in range(3) for c in range(3)}
assert meets_22 == {(r, c): (r + 2, c + 2) for r in range(3) for c in range(3)}

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
viz.plot_kernel_tap(5, 3, (0, 0), ax=axes[0])
viz.plot_kernel_tap(5, 3, (2, 2), ax=axes[1])
fig.tight_layout()

# %% [markdown]
# ## Rule 1: dL/dk = xcorr(x, dL/dy)
#
# So dL/dk(i, j) = sum over outputs (r, c) of dL/dy(r, c) * x(r + i, c + j): the pixels k(i, j)
# met, weighted by the upstream gradient. That is a cross-correlation of x with dL/dy used as
# the kernel. By hand with loops, then with `F.conv2d`, then against `.backward()`:

# %%
xs, g = x[0, 0].detach().numpy(), upstream[0, 0].numpy()
by_loops = np.array([[sum(g[r, c] * xs[r + i, c + j] for r in range(3) for c in range(3)) for j in range(3)]
                     for i in range(3)])
by_xcorr = F.conv2d(x.detach(), upstream)  # dL/dy slides over x as a 3x3 "kernel"
assert np.allclose(by_loops, k.grad[0, 0].numpy())
assert by_xcorr.allclose(k.grad)
print("dL/dk = xcorr(x, dL/dy):\n", by_xcorr[0, 0].numpy())

# %% [markdown]
# ## Which outputs does one pixel touch?
#
# x(0,0) is in one window only; the centre pixel x(2,2) in all nine. Again asked to autograd,
# one backward pass per output with a one-hot dL/dy: output (r, c) touches the pixel when
# dL/dx at the pixel is not zero.

# %%
kernel_of_ones = minigrad.ones(1, 1, 3, 3, dtype=minigrad.float64)
touches = {pixel: viz.influence(lambda t: F.conv2d(t, kernel_of_ones), (1, 1, 5, 5), (0, 0, *pixel))[0, 0]
           for pixel in [(0, 0), (2, 2), (1, 3)]}
assert touches[(0, 0)].sum() == 1 and touches[(0, 0)][0, 0]
assert touches[(2, 2)].all()
for (pr, pc), mask in touches.items():  # output (r, c) reads pixels (r..r+2, c..c+2)
    assert mask.tolist() == [[0 <= pr - r < 3 and 0 <= pc - c < 3 for c in range(3)] for r in range(3)]
# How many outputs each pixel feeds: fold(unfold(ones)) counts the windows over each pixel.
counts = F.fold(F.unfold(minigrad.ones(1, 1, 5, 5), 3), (5, 5), 3)[0, 0]
assert counts.tolist()[2] == [3, 6, 9, 6, 3]

fig, axes = plt.subplots(1, 4, figsize=(10, 2.6))
viz.plot_grid(counts, ax=axes[0], cmap="Blues", title="outputs per pixel")
for ax, (pixel, mask) in zip(axes[1:], touches.items()):
    viz.plot_grid(mask.astype(int), ax=ax, highlight=mask, title=f"outputs x{pixel} touches")
fig.tight_layout()

# %% [markdown]
# ## Rule 2: dL/dx = full convolution of dL/dy with k
#
# dL/dx(m, n) = sum over the outputs that touch (m, n) of dL/dy(r, c) * k(m - r, n - c). Read
# as a sliding window, that is: pad dL/dy by K-1 = 2 zeros on each side and cross-correlate it
# with the kernel turned 180 degrees (a full convolution with k).

# %%
by_loops = np.zeros((5, 5))
kk = k[0, 0].detach().numpy()
for m in range(5):
    for n in range(5):
        by_loops[m, n] = sum(g[r, c] * kk[m - r, n - c] for r in range(3) for c in range(3)
                             if 0 <= m - r < 3 and 0 <= n - c < 3)
padded = F.pad(upstream, (2, 2, 2, 2))  # d*(k-1) - p = 1*(3-1) - 0 = 2
flipped = k.detach()[:, :, ::-1, ::-1]
by_rule = F.conv2d(padded, flipped)
assert np.allclose(by_loops, x.grad[0, 0].numpy())
assert by_rule.allclose(x.grad)
assert F.convolve2d(padded, k.detach()).allclose(x.grad)  # "full convolution", literally
print("dL/dx = xcorr(pad(dL/dy, 2), flip(k)):\n", by_rule[0, 0].numpy())

# %% [markdown]
# ## With a stride: dilate dL/dy first
#
# A strided forward skipped positions; in the backward pass dL/dy is spread back out by
# inserting stride - 1 zeros between its rows and columns (dilation), then padded and
# correlated as before. For stride 2 and padding 1 on the 5x5 input (a 3x3 output), the
# dilated gradient is 5x5, padded by 2 - 1 = 1 and correlated with the flipped kernel:

# %%
x2 = x.detach().clone().requires_grad_()
k2 = k.detach().clone().requires_grad_()
y2 = F.conv2d(x2, k2, stride=2, padding=1)
assert y2.shape == (1, 1, 3, 3)
(y2 * upstream).sum().backward()

dilated = minigrad.zeros(1, 1, 5, 5, dtype=minigrad.float64)
dilated[:, :, ::2, ::2] = upstream  # 1 zero between neighbours
by_rule = F.conv2d(F.pad(dilated, (1, 1, 1, 1)), flipped)  # pad by d(k-1) - p = 2 - 1 = 1
assert by_rule.allclose(x2.grad)
# Rule 1 with a stride: the stride becomes the correlation's dilation.
assert F.conv2d(x2.detach(), upstream, padding=1, dilation=2).allclose(k2.grad)

# %% [markdown]
# ## The picture of the backward pass
#
# `draw_graph(..., show="both")` puts each op's backward node beside it, named as PyTorch
# names it (`ConvolutionBackward0`), with the rules written for THIS layer's amounts and each
# gradient edge labelled:

# %%
b = minigrad.zeros(1, dtype=minigrad.float64, requires_grad=True)
loss = (F.conv2d(x2, k2, b, stride=2, padding=1) * upstream).sum()
loss.backward()
dot = viz.draw_graph(loss, {"x": x2, "k": k2, "b": b}, show="both", legend="bottom")
source = dot.source
assert "ConvolutionBackward0" in source and "H: pad by d(k-1)-p = 1*(3-1)-1 = 1" in source
assert "dilate by the stride 2x2: insert 1 zero rows and 1 zero columns" in source
Image(dot.pipe(format="png"))

# %% [markdown]
# ## The duality, drawn from what autograd records
#
# Because conv2d's backward is written with conv2d, differentiating with
# `create_graph=True` RECORDS the backward pass as ordinary ops. `show="duality"` draws that
# graph with its tensors named: dL/dx is a conv2d of dL/dy (padded by 2, the conv's own
# padding) with flip(k) with its channels swapped (k^T); dL/dk is a conv2d of x^T with
# dL/dy^T (batch and channels swapped). Small tensors show their numbers.

# %%
# readme picture
x3, k3 = x.detach().clone().requires_grad_(), k.detach().clone().requires_grad_()
x3.name, k3.name = "x", "k"
y = F.conv2d(x3, k3)
(grad_x, grad_k), _ = viz.duality_graph(y, upstream=upstream)
assert grad_x.detach().allclose(x.grad) and grad_k.detach().allclose(k.grad)  # the same numbers
dot = viz.draw_graph(y, show="duality", values=True, upstream=upstream, grid=5, fontsize=9,
                     title="conv2d's gradients are conv2ds: the graph create_graph=True records")
source = dot.source
for name in ("dL/dy", "flip(k)", "flip(k)^T", "x^T", "dL/dy^T", "xcorr(x^T, dL/dy^T)", "dL/dx", "dL/dk"):
    assert f">{name}<" in source or f'label="{name}\\n' in source, name
assert source.count('label="conv2d\\n') == 2  # one conv2d per rule
Image(dot.pipe(format="png"))

# %% [markdown]
# Next: [7. A trained LeNet](07_trained_lenet.ipynb): what the kernels learn.
