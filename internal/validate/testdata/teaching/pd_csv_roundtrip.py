import pandas as pd

df = pd.DataFrame({"x": range(5), "y": [v * v for v in range(5)]})
df.to_csv("/tmp/squares.csv", index=False)
back = pd.read_csv("/tmp/squares.csv")
print(back.describe().loc[["mean", "max"]])
print(back.equals(df))
