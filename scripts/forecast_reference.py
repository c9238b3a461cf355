"""Reference accuracy of statsforecast (AutoETS, AutoARIMA, Naive) on a held-out cut.

Usage: forecast_reference.py INPUT.csv HORIZON SEASON
INPUT is the `observatoire forecast` input format (series_id,period,value). The last HORIZON
points of each series are held out; MASE is scaled by the in-sample lag-1 naive MAE (as the
`--backtest` report of `observatoire forecast`), coverage is the share of held-out points inside
the 80 % and 95 % intervals. Prints one line per model, and the time taken.
"""
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, Naive

path, h, season = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
df = pd.read_csv(path, dtype={"series_id": str, "period": str})
df["ds"] = df.groupby("series_id").cumcount()
df = df.rename(columns={"series_id": "unique_id", "value": "y"})[["unique_id", "ds", "y"]]
n = df.groupby("unique_id")["ds"].transform("max") + 1
test = df[df["ds"] >= n - h]
train = df[df["ds"] < n - h]
keep = train.groupby("unique_id").size()
keep = keep[keep > 1].index
train, test = train[train.unique_id.isin(keep)], test[test.unique_id.isin(keep)]
scale = train.groupby("unique_id")["y"].apply(lambda y: np.mean(np.abs(np.diff(y.values))))
models = [AutoETS(season_length=season), AutoARIMA(season_length=season), Naive()]
started = time.time()
sf = StatsForecast(models=models, freq=1, n_jobs=-1)
fc = sf.forecast(df=train, h=h, level=[80, 95]).reset_index()
took = time.time() - started
fc = fc.merge(test, on=["unique_id", "ds"])
for name in ["AutoETS", "AutoARIMA", "Naive"]:
    err = (fc["y"] - fc[name]).abs().groupby(fc["unique_id"]).mean()
    mase = (err / scale.reindex(err.index)).replace(np.inf, np.nan).mean()
    cov = [((fc[f"{name}-lo-{l}"] <= fc["y"]) & (fc["y"] <= fc[f"{name}-hi-{l}"])).mean() for l in (80, 95)]
    print(f"{name};mase={mase:.3f};couverture80={cov[0]:.3f};couverture95={cov[1]:.3f}")
print(f"temps={took:.1f}s series={len(keep)}")
