"""README figures are copies of their result files: a block that differs fails, naming the
block and the command that rewrites it."""

import json

import pytest

from workflows.readme_blocks import COMMAND, READMES, RESULTS, block_names, rewrite, stale_blocks


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.parent.name + "/" + path.name)
def test_every_readme_block_is_its_file(readme):
    stale = stale_blocks(readme)
    assert stale == [], f"{'; '.join(stale)}: run `{COMMAND}`"


def test_every_block_says_what_made_it():
    names = {name for readme in READMES for name in block_names(readme.read_text())}
    assert "study_quick" in names and "paper_transfer" in names
    for name in names:
        record = json.loads((RESULTS / f"{name}.json").read_text())
        assert record["command"].startswith(("python -m ", "surrogate ")), name
        if record["measured"]:
            assert record["git_commit"] and record["machine"]["cores"] >= 1, name
        else:  # says so, with no number kept from an earlier run
            assert (RESULTS / f"{name}.md").read_text().startswith("*Not yet measured"), name


def test_a_typed_number_in_a_block_is_found_and_replaced(tmp_path):
    (tmp_path / "timing.md").write_text("9 min 12 s\n")
    readme = tmp_path / "README.md"
    readme.write_text("Took\n<!-- results:timing -->\n6 min 21 s\n<!-- /results:timing -->\n")
    expected = f"README.md: block 'timing' differs from {tmp_path.resolve() / 'timing'}.md"
    assert stale_blocks(readme, tmp_path) == [expected]
    text, changed = rewrite(readme.read_text(), tmp_path)
    assert text == "Took\n<!-- results:timing -->\n9 min 12 s\n<!-- /results:timing -->\n"
    assert changed == ["timing"]
    readme.write_text(text.replace("timing", "gone"))
    assert "has no file" in stale_blocks(readme, tmp_path)[0]


def test_a_scripts_output_is_captured_as_a_block(tmp_path):
    from workflows.readme_blocks import capture

    path = capture("table", ["python", "-c", "print('| a |')"], folder=tmp_path)
    text = path.read_text()
    assert text.startswith("| a |\n\n*Made by `python -c ")
    assert json.loads((tmp_path / "table.json").read_text())["data"]["stdout"] == "| a |\n"
    with pytest.raises(RuntimeError, match="exit code 3"):
        capture("broken", ["python", "-c", "raise SystemExit(3)"], folder=tmp_path)
