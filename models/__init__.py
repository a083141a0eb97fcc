"""Ready-made networks for MNIST-sized images: LeNet-5 (1998), a modern LeNet, an MLP, and small
ResNets (2016) for 28x28 and 32x32 inputs."""

from minigrad.models.lenet import MLP, LeNet, LeNet5
from minigrad.models.registry import get_model, model_names
from minigrad.models.resnet import BasicBlock, ResNet, resnet8, resnet20

__all__ = ["LeNet5", "LeNet", "MLP", "BasicBlock", "ResNet", "resnet8", "resnet20", "get_model", "model_names"]
