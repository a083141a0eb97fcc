"""Ready-made networks for MNIST-sized images: LeNet-5 (1998), a modern LeNet, an MLP."""

from minigrad.models.lenet import MLP, LeNet, LeNet5, get_model, model_names

__all__ = ["LeNet5", "LeNet", "MLP", "get_model", "model_names"]
