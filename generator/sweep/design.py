"""Space-filling designs over the five manufacturing parameters, and sample identities."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from generator.structure.parameters import PARAMETER_RANGES

Design = Literal["sobol", "lhs", "random"]
DESIGNS = ("sobol", "lhs", "random")
# independent: each domain draws its own design and seeds (the paper's separate datasets);
# paired: the same parameter sets on every domain, each sample with its own seed.
PAIRINGS = ("independent", "paired")
PARAMETERS = tuple(PARAMETER_RANGES)
# The most samples one design (and one sweep) holds: every sample is a file and a table row, a
# plan builds every task and a dry run lists them (100 000 in about 2 s); larger studies are
# several sweeps.
MAX_SAMPLES = 100_000


def check_count(n) -> int:
    """``n`` as a whole number of samples, from 1 to :data:`MAX_SAMPLES`.

    Raises
    ------
    ValueError
        Naming ``n`` and the limit.

    Examples
    --------
    >>> from generator.sweep.design import check_count
    >>> check_count(78.0)
    78
    >>> check_count(10**9)
    Traceback (most recent call last):
    ...
    ValueError: n=1000000000 is more than the 100000 samples a sweep plans (each is a file and a
    row): split the study into sweeps of at most 100000
    """
    try:
        whole = int(n) == n and n >= 1
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"n={n!r} must be a positive whole number of samples")
    if n > MAX_SAMPLES:
        raise ValueError(
            f"n={int(n)} is more than the {MAX_SAMPLES} samples a sweep plans (each is a file and "
            f"a row): split the study into sweeps of at most {MAX_SAMPLES}"
        )
    return int(n)


def domain_key(domain: str) -> int:
    """A stable 32-bit number for a domain name, mixed into the design's seed.

    Parameters
    ----------
    domain : str

    Returns
    -------
    int
        The first 4 bytes of a SHA-256 of the name (the same in every process, unlike
        ``hash``).

    Examples
    --------
    >>> from generator.sweep.design import domain_key
    >>> domain_key("200") == domain_key("200") != domain_key("1000")
    True
    >>> 0 <= domain_key("200") < 2**32
    True
    """
    return int.from_bytes(hashlib.sha256(f"gdl-domain:{domain}".encode()).digest()[:4], "little")


def validate_ranges(ranges: dict | None) -> dict[str, tuple[float, float]]:
    """Sweep ranges: the paper's by default; each given range must lie inside the allowed one.

    Parameters
    ----------
    ranges : dict or None
        ``{parameter: (low, high)}`` for some of the five parameters.

    Returns
    -------
    dict
        ``{parameter: (low, high)}`` for all five, the paper's where not given.

    Raises
    ------
    ValueError
        An unknown parameter, or a range outside the paper's (or with low > high).

    Examples
    --------
    >>> from generator.sweep import validate_ranges
    >>> ranges = validate_ranges({"compression": (0.1, 0.3)})
    >>> ranges["compression"], ranges["thickness_um"]
    ((0.1, 0.3), (280.0, 320.0))
    >>> validate_ranges({"compression": (0.1, 0.7)})
    Traceback (most recent call last):
    ...
    ValueError: range compression=(0.1, 0.7) must satisfy 0.0 <= low <= high <= 0.5 1
    """
    resolved = {name: (low, high) for name, (low, high, _, _) in PARAMETER_RANGES.items()}
    for name, value in (ranges or {}).items():
        if name not in resolved:
            raise ValueError(f"unknown parameter {name!r}; expected one of {', '.join(resolved)}")
        low, high = (float(v) for v in value)
        allowed_low, allowed_high, unit, _ = PARAMETER_RANGES[name]
        if not allowed_low <= low <= high <= allowed_high:
            raise ValueError(
                f"range {name}=({low}, {high}) must satisfy {allowed_low} <= low <= high <= "
                f"{allowed_high} {unit}"
            )
        resolved[name] = (low, high)
    return resolved


def parse_ranges(**given: str | None) -> dict[str, tuple[float, float]]:
    """``{parameter: (low, high)}`` from the ``LOW,HIGH`` texts given (None = not given).

    Returns
    -------
    dict
        Only the parameters given; check them with :func:`validate_ranges`.

    Examples
    --------
    >>> from generator.sweep import parse_ranges
    >>> parse_ranges(compression="0.1,0.3", thickness_um=None)
    {'compression': (0.1, 0.3)}
    >>> parse_ranges(compression="0.1")
    Traceback (most recent call last):
    ...
    ValueError: range for compression must be LOW,HIGH (two numbers), got '0.1'
    """
    ranges = {}
    for name, text in given.items():
        if text is None:
            continue
        try:
            parts = [float(v) for v in text.replace(",", " ").split()]
        except ValueError:
            parts = []
        if len(parts) != 2:
            raise ValueError(f"range for {name} must be LOW,HIGH (two numbers), got {text!r}")
        ranges[name] = (parts[0], parts[1])
    return ranges


def make_design(
    n: int,
    *,
    domain: str,
    design: Design = "sobol",
    seed: int = 0,
    ranges=None,
    pairing: str = "independent",
) -> pd.DataFrame:
    """``n`` parameter sets spread over the ranges, each with its own generator seed.

    Parameters
    ----------
    n : int
        Number of samples, at most :data:`MAX_SAMPLES`.
    design : {"sobol", "lhs", "random"}
        Scrambled Sobol points (the first ``n``), Latin hypercube, or independent uniforms.
    domain : str
        The domain the design is for; with the same ``seed`` two domains get different designs
        (``pairing="independent"``) or the same parameter sets (``"paired"``), and always
        different sample seeds.
    seed : int
        Seeds the design and, through ``numpy.random.SeedSequence``, each sample's seed.
    ranges : dict, optional
        ``{parameter: (low, high)}`` overriding the paper's ranges.
    pairing : {"independent", "paired"}

    Returns
    -------
    pandas.DataFrame
        Columns ``index``, the five parameters and ``seed``.

    Examples
    --------
    Four Sobol points (a power of two) put one value of each parameter in each quarter of its
    range; here compression, over [0, 0.5]:

    >>> from generator.sweep import make_design
    >>> design = make_design(4, domain="200", seed=0)
    >>> list(design.columns)
    ['index', 'fiber_diameter_um', 'fiber_fraction', 'binder_fraction', 'thickness_um',
     'compression', 'seed']
    >>> sorted((design["compression"] / 0.5 * 4).astype(int).tolist())
    [0, 1, 2, 3]

    Paired designs give two domains the same parameter sets, with their own sample seeds:

    >>> a = make_design(4, domain="200", pairing="paired")
    >>> b = make_design(4, domain="1000", pairing="paired")
    >>> a.iloc[:, 1:6].equals(b.iloc[:, 1:6]), bool((a["seed"] != b["seed"]).all())
    (True, True)
    """
    n = check_count(n)
    if design not in DESIGNS:
        raise ValueError(f"design={design!r} is not one of {', '.join(DESIGNS)}")
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing={pairing!r} is not one of {', '.join(PAIRINGS)}")
    resolved = validate_ranges(ranges)
    domain_entropy = [int(seed), domain_key(str(domain))]
    rng = np.random.default_rng(domain_entropy if pairing == "independent" else int(seed))
    if design == "sobol":
        with warnings.catch_warnings():
            # Sobol balance is exact for powers of two; the first n points are still spread.
            warnings.simplefilter("ignore", UserWarning)
            unit = (
                __import__("scipy.stats", fromlist=["qmc"])
                .qmc.Sobol(d=len(PARAMETERS), scramble=True, seed=rng)
                .random(int(n))
            )
    elif design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(PARAMETERS), seed=rng).random(int(n))
    else:
        unit = rng.random((int(n), len(PARAMETERS)))
    table = pd.DataFrame({"index": np.arange(int(n))})
    for column, name in enumerate(PARAMETERS):
        low, high = resolved[name]
        table[name] = low + unit[:, column] * (high - low)
    children = np.random.SeedSequence(domain_entropy).spawn(int(n))
    table["seed"] = [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]
    return table


def sample_id(
    parameters: dict, seed: int, *, domain: str, voxel_um: float, version: str, stratify: bool
) -> str:
    """Identity of a sample: a hash of its parameters, seed, domain, voxel, fibre sampling
    (stratified or not) and model version.

    Floats enter through ``repr`` (shortest round-trip form), so a value read back from a file
    hashes the same as the value that was written.

    Parameters
    ----------
    parameters : dict
        The five manufacturing parameters (other keys are ignored).
    seed : int
        The sample's generator seed.
    domain : str
    voxel_um : float
    version : str
        Model version (:func:`generator._shared.model_version.model_version`).
    stratify : bool

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> from generator.sweep.design import sample_id
    >>> parameters = {"fiber_diameter_um": 9, "fiber_fraction": 0.18, "binder_fraction": 0.07,
    ...               "thickness_um": 300, "compression": 0.2}
    >>> same = dict(domain="200", voxel_um=1.0, version="m-0", stratify=True)
    >>> ident = sample_id(parameters, 1, **same)
    >>> len(ident), ident == sample_id(parameters, 1, **same) != sample_id(parameters, 2, **same)
    (16, True)
    """
    key = {
        "parameters": {name: repr(float(parameters[name])) for name in PARAMETERS},
        "seed": int(seed),
        "domain": str(domain),
        "voxel_um": repr(float(voxel_um)),
        "version": version,
        "stratify": bool(stratify),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
