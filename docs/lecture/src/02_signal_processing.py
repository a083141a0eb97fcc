# %% [markdown]
# # 2. Convolution in signal processing: the formula, the flip, cross-correlation
#
# *The executable lecture, part 2 of 7.* Convolution comes from signal processing. For a
# signal x and a kernel (filter, impulse response) h, the 1-D convolution is
#
# $$y_k = \sum_n h_n \, x_{k-n}$$
#
# Each output is a sum of products, and the kernel's index runs *against* the signal's: h_0
# meets x_k, h_1 meets x_(k-1), and so on. The kernel is **flipped** as it slides.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import viz

plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# ## The worked terms y_0 ... y_3
#
# Which products make up each output? We ask the convolution itself: it is linear in h and in
# x, so convolving a one-hot h (only h_n = 1) with a one-hot x (only x_m = 1) gives 1 exactly
# at the outputs that contain the term h_n x_m. (`viz.convolution_terms` does this with
# `F.conv1d`; it never uses the formula.) The lecture writes out the first four outputs:

# %%
lecture = {  # y_k as the lecture writes it, term by term
    0: {"h0 x0"},
    1: {"h1 x0", "h0 x1"},
    2: {"h2 x0", "h1 x1", "h0 x2"},
    3: {"h3 x0", "h2 x1", "h1 x2", "h0 x3"},
}
terms = viz.convolution_terms(x_length=4, h_length=4)
for k, expected in lecture.items():
    found = {f"h{n} x{m}" for n, m in terms[k]}
    assert found == expected, (k, found)
    print(f"y{k} = {viz.terms_text(terms[k])}")
assert all(m == k - n for k, pairs in enumerate(terms) for n, m in pairs)  # y_k = sum_n h_n x_(k-n)

# %% [markdown]
# With numbers: x = [1, 2, 3, 4] and the difference filter h = [1, 0, -1]. minigrad computes
# the convolution with `F.conv1d` (which, as we will see, is a cross-correlation) on the
# flipped kernel; NumPy's `np.convolve` and the formula by hand agree:

# %%
x = [1.0, 2.0, 3.0, 4.0]
h = [1.0, 0.0, -1.0]
y = viz.convolve_1d(x, h)
by_hand = [sum(h[n] * x[k - n] for n in range(len(h)) if 0 <= k - n < len(x)) for k in range(len(x) + len(h) - 1)]
assert y.tolist() == by_hand == np.convolve(x, h).tolist() == [1.0, 2.0, 2.0, 2.0, -3.0, -4.0]
print("y =", y.tolist())

# %%
# readme picture
fig = viz.plot_convolution_1d(x, h, k=2)

# %% [markdown]
# ## The flip: K -> K'
#
# In two dimensions the kernel is flipped along both axes: a 180-degree turn. The lecture's
# example: K = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] becomes K' = [[9, 8, 7], [6, 5, 4], [3, 2, 1]].

# %%
K = minigrad.arange(1.0, 10.0).reshape(3, 3)
K_flipped = K[::-1, ::-1]
assert K_flipped.tolist() == [[9, 8, 7], [6, 5, 4], [3, 2, 1]]

fig, axes = plt.subplots(1, 2, figsize=(4.2, 2.2))
viz.plot_grid(K, ax=axes[0], title="K")
viz.plot_grid(K_flipped, ax=axes[1], title="K' (turned 180 degrees)", highlight=[(0, 0)])
fig.tight_layout()

# %% [markdown]
# ## Convolution vs cross-correlation
#
# *Cross-correlation* slides the kernel WITHOUT flipping it: out(r, c) = sum_(a, b) K(a, b)
# x(r + a, c + b). That is what deep-learning libraries call "convolution": `torch.nn.Conv2d`,
# `F.conv2d` and minigrad's `F.conv2d` all compute a cross-correlation. The textbook
# convolution is `F.convolve2d`: flip, then cross-correlate. For a learned kernel the
# difference does not matter (the network learns the flipped kernel instead); for a given
# kernel it does.

# %%
rng = np.random.default_rng(0)
image = minigrad.tensor(rng.integers(0, 10, (5, 5)).astype("float32"))


def cross_correlation(x, k):
    """out[r, c] = sum_ab k[a, b] x[r + a, c + b], the "valid" part."""
    x, k = np.asarray(x.tolist()), np.asarray(k.tolist())
    out = np.zeros((x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = (x[r : r + k.shape[0], c : c + k.shape[1]] * k).sum()
    return out


def textbook_convolution(x, k):
    """out[i, j] = sum_mn x[m, n] k[i - m, j - n], the "valid" part."""
    x, k = np.asarray(x.tolist()), np.asarray(k.tolist())
    full = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for m in range(x.shape[0]):
        for n in range(x.shape[1]):
            full[m : m + k.shape[0], n : n + k.shape[1]] += x[m, n] * k
    return full[k.shape[0] - 1 : x.shape[0], k.shape[1] - 1 : x.shape[1]]


correlated = F.conv2d(image.reshape(1, 1, 5, 5), K.reshape(1, 1, 3, 3)).reshape(3, 3)
convolved = F.convolve2d(image, K)
assert correlated.tolist() == cross_correlation(image, K).tolist()
assert convolved.tolist() == textbook_convolution(image, K).tolist()
assert convolved.tolist() == cross_correlation(image, K_flipped).tolist()  # convolution = flip + xcorr
assert correlated.tolist() != convolved.tolist()  # ... and not the same thing for this K

symmetric = minigrad.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]])  # unchanged by a 180-degree turn
assert F.convolve2d(image, symmetric).tolist() == cross_correlation(image, symmetric).tolist()

fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.3))
viz.plot_grid(image, ax=axes[0], title="image x")
viz.plot_grid(correlated, ax=axes[1], title="F.conv2d(x, K): xcorr")
viz.plot_grid(convolved, ax=axes[2], title="F.convolve2d(x, K): conv")
fig.tight_layout()

# %% [markdown]
# Next: [3. 2-D convolution with a Sobel kernel](03_sobel.ipynb).
