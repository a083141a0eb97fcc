"""The small ResNet: shapes for 28x28 and 32x32 inputs, parameter counts, torchvision-style
names, a PyTorch twin with copied weights (values, gradients, running statistics), the
registry and the training script's choice, and a few real training steps on MNIST."""

from __future__ import annotations

import numpy as np
import pytest
from minigrad.models import BasicBlock, ResNet, get_model, model_names, resnet8, resnet20

import minigrad
import minigrad.nn.functional as F


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts():
    # stem 1*16*9 + BN 32; layer1 2*16*16*9 + 2 BN; layer2 16*32*9 + 32*32*9 + 1x1 16*32 + 3 BN;
    # layer3 32*64*9 + 64*64*9 + 1x1 32*64 + 3 BN; fc 64*10 + 10
    stem, layer1 = 144 + 32, 2 * 2304 + 64
    layer2 = 4608 + 9216 + 512 + 3 * 64
    layer3 = 18432 + 36864 + 2048 + 3 * 128
    assert count(resnet8()) == stem + layer1 + layer2 + layer3 + 650 == 77_754
    assert count(resnet8(in_channels=3)) == 77_754 + 2 * 16 * 9
    assert count(resnet20(in_channels=3)) == 272_474  # the paper's "0.27M" ResNet-20


@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 32)])
def test_shapes_through_the_stages(channels, size):
    model = resnet8(in_channels=channels)
    x = minigrad.randn(2, channels, size, size)
    stem = model.relu(model.bn1(model.conv1(x)))
    one = model.layer1(stem)
    two = model.layer2(one)
    three = model.layer3(two)
    assert one.shape == (2, 16, size, size)
    assert two.shape == (2, 32, size // 2, size // 2)
    assert three.shape == (2, 64, -(-size // 4), -(-size // 4))
    out = model(x)
    assert out.shape == (2, 10) and out.dtype == minigrad.float32


def test_names_follow_torchvision():
    names = list(resnet8().state_dict())
    assert names[:6] == [
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
    ]
    assert "layer2.0.downsample.0.weight" in names and "layer2.0.downsample.1.running_var" in names
    assert "layer1.0.downsample.0.weight" not in names  # same width, stride 1: identity shortcut
    assert names[-2:] == ["fc.weight", "fc.bias"]
    assert isinstance(resnet20().layer3[2], BasicBlock)


def torch_twin(torch, layers, in_channels):
    """The same network written with torch.nn, with the same module names."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, in_planes, planes, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or in_planes != planes:
                self.downsample = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
                )

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(out)) + identity)

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            in_planes = 16
            for index, (blocks, width) in enumerate(zip(layers, (16, 32, 64))):
                stage = []
                for b in range(blocks):
                    stage.append(Block(in_planes, width, 2 if index and b == 0 else 1))
                    in_planes = width
                setattr(self, f"layer{index + 1}", nn.Sequential(*stage))
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = torch.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(x.mean((2, 3)))

    return Twin()


@pytest.mark.parametrize(("layers", "channels", "size"), [((1, 1, 1), 1, 28), ((1, 2, 1), 3, 32)])
def test_matches_a_pytorch_twin(torch, layers, channels, size):
    torch.manual_seed(0)
    twin = torch_twin(torch, layers, channels)
    model = ResNet(layers, in_channels=channels)
    assert list(model.state_dict()) == list(twin.state_dict())
    model.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    x_np = np.random.default_rng(0).standard_normal((4, channels, size, size)).astype(np.float32)
    labels = np.array([1, 2, 3, 4])
    out = model(minigrad.tensor(x_np))  # train mode: batch statistics
    expected = twin(torch.tensor(x_np))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-4)
    F.cross_entropy(out, minigrad.tensor(labels)).backward()
    torch.nn.functional.cross_entropy(expected, torch.tensor(labels)).backward()
    theirs = dict(twin.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs[name].grad.numpy(), atol=1e-4, err_msg=name)
    np.testing.assert_allclose(
        model.layer3[0].bn2.running_var.numpy(), twin.layer3[0].bn2.running_var.numpy(), rtol=1e-5
    )
    model.eval()
    twin.eval()
    np.testing.assert_allclose(
        model(minigrad.tensor(x_np)).detach().numpy(), twin(torch.tensor(x_np)).detach().numpy(), atol=1e-4
    )


def test_default_init_is_kaiming_normal_fan_out():
    model = resnet8()
    weight = model.layer3[0].conv2.weight.detach().numpy()  # 64 x 64 x 3 x 3: fan_out = 576
    assert weight.std() == pytest.approx(np.sqrt(2 / 576), rel=0.05)
    assert np.all(model.layer3[0].bn2.weight.detach().numpy() == 1)
    assert np.all(resnet8(zero_init_residual=True).layer3[0].bn2.weight.detach().numpy() == 0)


def test_registry_and_training_script_know_resnet():
    assert {"resnet", "resnet20"} <= set(model_names())
    assert isinstance(get_model("resnet"), ResNet)
    assert get_model("ResNet-20", in_channels=3).conv1.weight.shape == (16, 3, 3, 3)
    from scripts import train_mnist

    assert train_mnist.parse_args(["--model", "resnet"]).model == "resnet"


@pytest.mark.slow
def test_a_few_steps_on_real_mnist_fit_a_batch(mnist_path):
    """Six SGD steps on 16 real digits: the loss on them falls by more than a quarter."""
    from minigrad.data import MNIST

    minigrad.manual_seed(0)
    images, labels = MNIST(root=mnist_path, train=True, download=False).get_batch(np.arange(16))
    images, labels = minigrad.tensor(images), minigrad.tensor(labels)
    model = get_model("resnet")
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(6):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert images.shape == (16, 1, 28, 28)
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.75 * losses[0], losses
