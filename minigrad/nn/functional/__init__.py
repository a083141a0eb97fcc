"""Stateless layer functions (``torch.nn.functional``); import as ``F``."""

from minigrad.nn.functional.activation import (  # noqa: F401
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from minigrad.nn.functional.adaptive_pooling import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
)
from minigrad.nn.functional.attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from minigrad.nn.functional.conv import conv1d, conv2d, conv_output_size, convolve2d  # noqa: F401
from minigrad.nn.functional.conv3d import conv3d  # noqa: F401
from minigrad.nn.functional.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d  # noqa: F401
from minigrad.nn.functional.distance import cosine_similarity, normalize, one_hot, pairwise_distance  # noqa: F401
from minigrad.nn.functional.dropout import (  # noqa: F401
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from minigrad.nn.functional.embedding import embedding, embedding_bag  # noqa: F401
from minigrad.nn.functional.fold import fold, unfold  # noqa: F401
from minigrad.nn.functional.linear import bilinear, linear  # noqa: F401
from minigrad.nn.functional.loss import cross_entropy, mse_loss, nll_loss  # noqa: F401
from minigrad.nn.functional.loss_margin import (  # noqa: F401
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    triplet_margin_loss,
)
from minigrad.nn.functional.loss_pointwise import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from minigrad.nn.functional.normalization import (  # noqa: F401
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from minigrad.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from minigrad.nn.functional.pooling3d import avg_pool3d, lp_pool3d, max_pool3d  # noqa: F401
from minigrad.nn.functional.pooling_variants import (  # noqa: F401
    avg_pool1d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from minigrad.nn.functional.upsampling import (  # noqa: F401
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from minigrad.ops.composite import pad  # noqa: F401  (F.pad: constant, reflect, replicate, circular)
