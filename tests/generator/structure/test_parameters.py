import pytest

from generator import PARAMETER_RANGES, SampleParameters, generate
from tests.cli_runner import generator_cli


@pytest.mark.parametrize("name", sorted(PARAMETER_RANGES))
@pytest.mark.parametrize("side", ["below", "above"])
def test_out_of_range_parameter_is_named_in_the_error(name, side):
    low, high, _, _ = PARAMETER_RANGES[name]
    value = low - 0.01 * (high - low + 1) if side == "below" else high + 0.01 * (high - low + 1)
    with pytest.raises(ValueError, match=rf"{name}={value}.*outside its range \[{low}, {high}\]"):
        SampleParameters(**{name: value})


def test_non_numeric_parameter():
    with pytest.raises(ValueError, match="fiber_fraction='a lot' is not a number"):
        SampleParameters(fiber_fraction="a lot")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domain": "500"}, "domain='500' is not a preset"),
        ({"voxel_um": 0}, r"voxel size 0 um must be a finite number in \[0.0001, 10000\]"),
        ({"seed": -1}, r"seed=-1 must be a whole number in \[0, 2\*\*63\)"),
        ({"orientation": (0.5, 0.5, 0.5)}, "must be non-negative and sum to 1"),
        ({"orientation": (0.4, 0.4, 0.2)}, "t33=0.2 is above 0.1"),
        ({"orientation": (0.9, 0.1, 0.0)}, "in-plane share"),
    ],
)
def test_bad_generation_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(domain=kwargs.pop("domain", "200"), **kwargs)


def test_cli_rejects_out_of_range_with_one_line_and_exit_2(tmp_path):
    out = tmp_path / "s.h5"
    result = generator_cli("sample", fiber_fraction=0.3, out=out)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: fiber_fraction=0.3 is outside its range [0.1, 0.25] 1 "
        "(fibre solid volume fraction before compression)"
    ]
    assert not out.exists()


def test_cli_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "s.h5"
    out.write_bytes(b"precious")
    result = generator_cli("sample", out=out)
    assert result.returncode == 2
    assert "exists; pass --force" in result.stderr
    assert out.read_bytes() == b"precious"
