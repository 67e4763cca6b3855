import pandas as pd

df = pd.DataFrame({
    "name": ["ana", "ben", "cy", "di"],
    "age": [23, 35, 31, 19],
    "city": ["Lima", "Oslo", "Lima", "Rome"],
})
print(df.head())
print(df[df["age"] > 20].sort_values("age"))
print(df.groupby("city")["age"].mean())
