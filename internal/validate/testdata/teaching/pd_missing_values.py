import numpy as np
import pandas as pd

temps = pd.Series([12.0, np.nan, 15.5, np.nan, 14.0], index=list("MTWTF"))
print(temps.isna().sum(), "missing")
print(temps.fillna(temps.mean()).round(2).tolist())
print(temps.interpolate().tolist())
