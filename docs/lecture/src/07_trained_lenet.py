# %% [markdown]
# # 7. A trained LeNet: learned kernels, feature maps, training curves
#
# *The executable lecture, part 7 of 7.* Everything so far, trained end to end: LeNet's two
# convolution layers (6 kernels of 5x5, then 16 of 6x5x5), pooling, and three linear layers,
# learning from real MNIST digits with SGD. To keep this notebook fast we train for one pass
# over 6,000 images (a few seconds on a laptop); `python scripts/train_mnist.py` trains the
# same model on all 60,000 images to 99% (README), and `python scripts/draw_features.py
# CHECKPOINT` draws these pictures for such a checkpoint.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from minigrad.models import LeNet

import minigrad
import minigrad.nn.functional as F
from minigrad import optim, viz
from minigrad.data import MNIST, DataLoader, Subset

plt.rcParams["figure.dpi"] = 90
minigrad.manual_seed(0)

data_dir = os.environ.get("MINIGRAD_SHARED_DATA")  # None: minigrad.data.MNIST's usual search
train_set = Subset(MNIST(data_dir, train=True), range(6000))
test_set = Subset(MNIST(data_dir, train=False), range(2000))
model = LeNet()
print(model)
assert sum(p.numel() for p in model.parameters()) == 61_706

# %% [markdown]
# ## Training: one pass over 6,000 digits
#
# Cross-entropy loss, SGD with momentum (the training script's defaults); the test accuracy is
# measured every 20 steps on 2,000 test digits the model never trains on.

# %%
@minigrad.no_grad()
def test_accuracy(model, dataset):
    images, labels = dataset.get_batch(np.arange(len(dataset)))
    return (model(images).argmax(1) == labels).float().mean().item()


optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
history = []  # one record per step; the test accuracy every 20 steps
start = time.perf_counter()
for step, (images, labels) in enumerate(loader, 1):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    record = {"step": step, "train_loss": loss.item(), "test_accuracy": None}
    if step % 20 == 0 or step == len(loader):
        record["test_accuracy"] = test_accuracy(model, test_set)
    history.append(record)
seconds = time.perf_counter() - start
losses = [r["train_loss"] for r in history]
accuracy = history[-1]["test_accuracy"]
print(f"{len(loader)} steps in {seconds:.1f} s; test accuracy {100 * accuracy:.1f}% on {len(test_set)} digits")
assert np.mean(losses[:10]) > 2.0  # it starts at chance: ln(10) = 2.3
assert np.mean(losses[-10:]) < 0.6  # and learns
assert accuracy > 0.85  # (about 90% after this one short pass; chance is 10%)

# %%
fig = viz.plot_training_curves(history, x="step", title="one pass over 6,000 digits")

# %% [markdown]
# ## What the first layer learned
#
# The six 5x5 kernels of `conv1`, started from random numbers: after training several are
# edge and stroke detectors (light next to dark, like the Sobel kernel of notebook 3).

# %%
weights = model.conv1.weight.detach()
assert tuple(weights.shape) == (6, 1, 5, 5)
fig = viz.plot_kernels(weights, cmap="RdBu_r", title="conv1: the 6 learned 5x5 kernels")

# %% [markdown]
# ## Feature maps of one digit
#
# Run one test digit through the network and look at what each layer hands on: `conv1`'s 6
# maps (28x28, ReLU applied), then `conv2`'s 16 maps (10x10) computed from the pooled first
# maps. Each conv1 map is that kernel's cross-correlation with the digit, plus its bias; the
# check below recomputes one map by hand.

# %%
image, label = test_set[3]
digit = minigrad.tensor(image).reshape(1, 1, 28, 28)
with minigrad.no_grad():
    first = F.relu(model.conv1(digit))
    second = F.relu(model.conv2(model.pool1(first)))
    predicted = int(model(digit).argmax(1).item())
assert first.shape == (1, 6, 28, 28) and second.shape == (1, 16, 10, 10)

# conv1's map 0 by hand: pad by 2, slide the kernel, add the bias, clip at 0.
padded = np.pad(np.asarray(image[0], dtype=np.float64), 2)
kernel, bias = weights[0, 0].numpy().astype(np.float64), model.conv1.bias[0].item()
by_hand = np.array([[(padded[r : r + 5, c : c + 5] * kernel).sum() + bias for c in range(28)] for r in range(28)])
assert np.allclose(np.maximum(by_hand, 0), first[0, 0].numpy(), atol=1e-4)

fig = viz.plot_images(digit, labels=[f"digit {label}, predicted {predicted}"])
fig = viz.plot_feature_maps(first, columns=6, cmap="magma", title="conv1 + ReLU: 6 maps of 28x28")

# %%
# readme picture
fig = viz.plot_feature_maps(second, columns=8, cmap="magma", title="conv2 + ReLU: 16 maps of 10x10")

# %% [markdown]
# ## How far one conv2 unit sees
#
# As in notebook 1, autograd finds the receptive field: one conv2 output depends on a 14x14
# patch of the digit (the trained weights included; the probe input is positive so that no
# term cancels before the ReLUs).

# %%
def conv2_of(x):
    return model.conv2(model.pool1(F.relu(model.conv1(x.float()))))


mask = viz.receptive_field(conv2_of, (1, 1, 28, 28), (0, 0, 5, 5))[0, 0]
rows, cols = np.nonzero(mask)
assert rows.max() - rows.min() + 1 <= 14 and cols.max() - cols.min() + 1 <= 14
fig = viz.plot_receptive_field(mask, image=digit, title="one conv2 unit sees a 14x14 patch")

# %% [markdown]
# That is the whole lecture: linear layers vs convolutions, the formula and its flip,
# windows and their sizes, channels and im2col, and the two duality rules of the backward
# pass, each computed, checked and drawn with minigrad. Back to [the start](01_why_convolutions.ipynb).
