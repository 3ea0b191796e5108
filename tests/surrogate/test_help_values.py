"""Every value the surrogate's ``--help`` offers is accepted by the command: the values are read
from the help text as a user reads it (not from the lists behind it), then each is fed to the
command, which must get past it (failing, if at all, on a later option given bad on purpose).
A value not offered is refused, naming what is.

Run in this process (:mod:`tests.cli_runner`); nothing trains: ``--splits 0`` and
``--budget 1`` stop transfer and active right after the values under test are checked."""

import re

import pytest

from tests.cli_runner import surrogate
from tests.conftest import one_line_error

WORD = re.compile(r"^[\w/]+$")


def _help(*command) -> str:
    done = surrogate(*command, "--help")
    assert done.returncode == 0, done.stderr
    return done.stdout


def _block(help_text: str, name: str) -> str:
    """The help of one option or argument, its wrapped lines joined."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s+{re.escape(name)}\b", line))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if re.match(r"\s{2,4}\S", line):  # the next option or argument
            break
        block.append(line)
    text = " ".join(part.strip() for part in block)
    text = re.sub(r"\[(default|required)[^\]]*\]", "", text)
    return re.sub(rf"^{re.escape(name)}\s+<\w+>\s*", "", text).strip()


def offered(help_text: str, name: str) -> list[str]:
    """The values an option's help offers: its first clause (before '(', ';' or '.'), after its
    last ':' if any, split on ', ' and ' or '."""
    clause = re.split(r"[(;.]", _block(help_text, name))[0]
    clause = clause.rsplit(":", 1)[-1]
    values = [v.strip() for v in re.split(r",\s*|\s+or\s+", clause) if v.strip()]
    assert values and all(WORD.match(v) for v in values), (name, clause)
    return values


def target_pairs(help_text: str) -> list[tuple[str, str]]:
    """(dataset, target) pairs --target offers: 'T1 or T2 for D1 or D2' and 'T for a/b/c'."""
    pairs = []
    for targets, datasets in re.findall(
        r"([\w]+(?:, \w+)*(?: or \w+)?) for ([\w/]+(?:, \w+)*(?: or \w+)?)",
        _block(help_text, "--target"),
    ):
        for dataset in re.split(r",\s*|\s+or\s+|/", datasets):
            pairs += [(dataset, t) for t in re.split(r",\s*|\s+or\s+", targets)]
    return pairs


def test_the_parsers_read_what_help_says():
    text = "  --model <str>  a, b or c_d (c_d: more); default: the first.\n  --x <int>  X.\n"
    assert offered(text, "--model") == ["a", "b", "c_d"]


def test_every_dataset_and_target_offered_is_accepted():
    shown = _help("transfer")
    pairs = target_pairs(shown)
    # Every dataset the SOURCE argument names has the targets --target says it offers.
    listed = re.search(r"Source: (.*?),? or a path", _block(shown, "SOURCE")).group(1)
    assert set(re.split(r",\s*", listed)) == {dataset for dataset, _ in pairs}, (listed, pairs)
    for dataset, target in pairs:
        done = surrogate("transfer", dataset, dataset, "--target", target, "--splits", "0")
        assert "--splits 0 must be at least 1" in one_line_error(done), (dataset, target)


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_every_model_offered_is_accepted(command, transfer_run):
    values = offered(_help(command), "--model")
    run = transfer_run.run
    inputs = [
        f"--set={name}={value}"
        for name, value in {"fiber_diameter_um": 9, "fiber_fraction": 0.18, "binder_fraction": 0.07,
                            "thickness_um": 300, "compression": 0.2}.items()
    ]  # fmt: skip
    for model in values:
        extra = [*inputs, "--allow-extrapolation"] if command == "predict" else []
        done = surrogate(command, run, "--model", model, *extra)
        assert done.returncode == 0, (model, done.stderr)
    refused = one_line_error(surrogate(command, run, "--model", "ensemble"))
    assert all(value in refused for value in values), refused


def test_every_domain_and_target_of_active_is_accepted():
    shown = _help("active")
    for option in ("--domain", "--target"):
        for value in offered(shown, option):
            done = surrogate("active", "gdl200", option, value, "--budget", "1")
            assert "--budget 1 is below --initial 8" in one_line_error(done), (option, value)
        refused = one_line_error(surrogate("active", "gdl200", option, "other", "--budget", "1"))
        assert f"{option} 'other' must be" in refused, refused
