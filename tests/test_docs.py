"""The reference documents every parameter: each signature and its numpydoc
``Parameters`` section name the same parameters, in the same order (what
``sphinx-build -W docs docs/_build`` renders; CI builds it)."""

from __future__ import annotations

import ast
import inspect

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

from pumap_core import MLP, Conv, ParametricUMAP, TwoCode


def _documented(doc) -> list[str]:
    return [p.name for p in doc["Parameters"]]


@pytest.mark.parametrize("cls", [ParametricUMAP, TwoCode, MLP, Conv])
def test_every_constructor_parameter_is_documented(cls):
    assert _documented(ClassDoc(cls)) == list(inspect.signature(cls).parameters)


@pytest.mark.parametrize("method", [ParametricUMAP.fit, ParametricUMAP.transform])
def test_every_argument_of_fit_and_transform_is_documented(method):
    names = [n for n in inspect.signature(method).parameters if n != "self"]
    assert _documented(FunctionDoc(method)) == names


def test_the_documented_defaults_are_the_real_ones():
    """``name : type, default=value`` in the docstring says what the signature says."""
    signature = inspect.signature(ParametricUMAP).parameters
    for p in ClassDoc(ParametricUMAP)["Parameters"]:
        if "default=" not in p.type:
            assert signature[p.name].default == "deprecated", p.name
            continue
        shown = ast.literal_eval(p.type.split("default=")[1])
        assert shown == signature[p.name].default, p.name
