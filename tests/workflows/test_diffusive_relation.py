"""The diffusive-relation report on tables whose relations are known by construction."""

import numpy as np
import pandas as pd
import pytest

from workflows.diffusive_relation import relation_figure, relation_table


def table_of(porosity, tau, geometric):
    return pd.DataFrame(
        {
            "status": "ok",
            "pore_fraction_after": porosity,
            "tau_diffusive": tau,
            "tau_euclidean": geometric,
        }
    )


def test_an_exact_power_law_is_recovered_and_bruggeman_scored_by_hand():
    porosity = np.linspace(0.5, 0.85, 12)
    tau = 1.1 * porosity**-1.4
    geometric = 1.0 + 0.1 * (1 - porosity)
    text, numbers = relation_table(table_of(porosity, tau, geometric))
    assert numbers["power_law"] == pytest.approx({"a": 1.1, "b": 1.4})
    fitted = numbers["relative_error"]["a porosity^-b"]
    assert fitted["max"] < 1e-9
    bruggeman = np.abs(porosity**-0.5 / tau - 1)
    scored = numbers["relative_error"]["Bruggeman, porosity^-0.5 (not fitted)"]
    assert scored["mean"] == pytest.approx(bruggeman.mean())
    assert numbers["pearson_tau_porosity"] < -0.9
    assert f"| Bruggeman, porosity^-0.5 (not fitted) | {100 * bruggeman.mean():.1f} % |" in text


def test_the_geometric_term_is_scored_out_of_sample():
    rng = np.random.default_rng(1)
    porosity = rng.uniform(0.5, 0.85, 30)
    geometric = rng.uniform(1.02, 1.12, 30)  # independent of porosity
    tau = 1.3 * porosity**-1.2 * geometric**3.0
    _, numbers = relation_table(table_of(porosity, tau, geometric))
    errors = numbers["relative_error"]
    assert errors["a porosity^-b tau_g^c"]["max"] < 1e-9
    assert errors["a porosity^-b"]["mean"] > 0.01  # porosity alone misses the geometric part


def test_failed_and_infinite_rows_are_left_out_and_too_few_refused():
    porosity = np.linspace(0.5, 0.85, 6)
    table = table_of(porosity, porosity**-1.0, np.linspace(1.02, 1.08, 6))
    table.loc[0, "status"] = "failed"
    table.loc[1, "tau_diffusive"] = np.inf
    with pytest.raises(ValueError, match="4 finished rows"):
        relation_table(table)
    table = pd.concat([table, table_of([0.6], [0.6**-1.0], [1.05])])
    _, numbers = relation_table(table)
    assert numbers["rows"] == 5
    figure = relation_figure(table, numbers)
    assert [ax.get_xlabel() for ax in figure.axes] == [
        "porosity ε",
        "geometric tortuosity (euclidean)",
    ]
