"""The model the page decodes with while another thread trains: a copy, never the live one.

The training loop changes its networks' weights in place at every step and
flips them between ``.train()`` and ``.eval()`` for snapshots; a click that
decoded with those networks from the page's thread would read half-updated
weights, or a decoder in training mode. So with each snapshot the training
thread (between two steps, when nothing changes them) publishes a copy: the
estimator's attributes shared, its networks copied and put in eval mode.
Clicks, steering and new rows on the map use the newest copy; it never
changes after it is published.
"""

from __future__ import annotations

import copy

import torch

NETWORKS = ("encoder_", "decoder_", "classifier_")


def frozen_copy(model):
    """A shallow copy of the fitting ``model`` with its own copies of the networks, in
    eval mode and without gradients."""
    clone = copy.copy(model)
    for name in NETWORKS:
        net = getattr(model, name, None)
        if net is None:
            continue
        with torch.no_grad():
            net_copy = copy.deepcopy(net)
        net_copy.eval()
        for p in net_copy.parameters():
            p.requires_grad_(False)
        setattr(clone, name, net_copy)
    clone.published_step = -1
    return clone


def same_weights(a, b) -> bool:
    """Whether models ``a`` and ``b`` hold equal network weights (tests and checks)."""
    for name in NETWORKS:
        na, nb = getattr(a, name, None), getattr(b, name, None)
        if (na is None) != (nb is None):
            return False
        if na is not None:
            sa, sb = na.state_dict(), nb.state_dict()
            if sa.keys() != sb.keys() or any(not torch.equal(sa[k], sb[k]) for k in sa):
                return False
    return True
