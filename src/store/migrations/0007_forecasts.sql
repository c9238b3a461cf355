-- 0007: forecasts (`fc_*`), rebuilt by the `forecasts` job after the indicators. The web reads
-- only these. Method: docs/methodologie.md#previsions.
-- One row per forecast series: what was forecast, with which model, and how accurate it was.
CREATE TABLE fc_series (
    family VARCHAR NOT NULL,          -- chomage | emploi | emploi_secteur | defm | tension_dares | offres
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,       -- '' (the territory as a whole) or a sector / FAP / ROME code
    label VARCHAR,
    frequency VARCHAR NOT NULL,       -- mensuelle | trimestrielle | annuelle
    first_period VARCHAR NOT NULL, last_period VARCHAR NOT NULL, points INTEGER NOT NULL,
    horizon INTEGER NOT NULL,
    model VARCHAR NOT NULL,           -- e.g. combination(naive+damped_trend+mstl_ets), fallback_naive
    calibration VARCHAR NOT NULL,     -- conformal_pooled | conformal_series | model
    backtest_mase DOUBLE,             -- rolling origins, scaled by the in-sample seasonal-naive MAE
    backtest_mase_snaive DOUBLE,      -- seasonal naive on the same origins
    holdout_mase DOUBLE,              -- last `horizon` points held out, whole procedure rerun
    holdout_coverage80 DOUBLE, holdout_coverage95 DOUBLE,
    unit VARCHAR NOT NULL,            -- %, salariés, demandeurs, indice, offres
    source_id VARCHAR NOT NULL, vintage VARCHAR NOT NULL, method VARCHAR NOT NULL,
    fitted_at TIMESTAMP NOT NULL
);
CREATE TABLE fc_points (
    family VARCHAR NOT NULL, kind VARCHAR NOT NULL, code VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
    step INTEGER NOT NULL, period VARCHAR NOT NULL,
    mean DOUBLE, lo80 DOUBLE, hi80 DOUBLE, lo95 DOUBLE, hi95 DOUBLE
);
-- Accuracy per family on the held-out last `horizon` points (all its series together).
CREATE TABLE fc_accuracy (
    family VARCHAR PRIMARY KEY, series INTEGER NOT NULL, evaluated INTEGER NOT NULL, horizon INTEGER NOT NULL,
    holdout_mase DOUBLE, holdout_mase_naive DOUBLE, coverage80 DOUBLE, coverage95 DOUBLE,
    note VARCHAR, fitted_at TIMESTAMP NOT NULL
);
